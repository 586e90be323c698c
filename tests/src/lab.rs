//! A small internet built in network namespaces, for the tests that cross
//! NATs: an "internet" segment with a self-hosted relay and discovery
//! server, and home routers that do NAT with nftables, each with a LAN of
//! hosts behind it.
//!
//! ```text
//!   internet (203.0.113.0/24): relay 203.0.113.1:3340 (QUIC address
//!   |                          discovery :7842), second relay .2:3340,
//!   |                          discovery (pkarr) http://203.0.113.1:8080/pkarr
//!   +-- router r1 (WAN 203.0.113.11, LAN 192.168.1.1/24) -- hosts 192.168.1.x
//!   +-- router r2 (WAN 203.0.113.12, LAN 192.168.2.1/24) -- hosts 192.168.2.x
//! ```
//!
//! Every address lives inside namespaces the lab made (so labs of tests
//! running at once never meet), and everything is torn down on drop. Needs
//! root, `nft` (nftables), `openssl`, and the `iroh-relay` and
//! `iroh-dns-server` binaries (`FERRY_LAB_TOOLS`, or on the PATH); the test
//! command installs them.

use std::{
    path::{Path, PathBuf},
    process::{Child, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use anyhow::{Context, Result, bail};
use tokio::process::Command;

/// The relay's address on the lab internet.
pub const RELAY_IP: &str = "203.0.113.1";
/// A second relay, on another address (two vantage points tell a
/// symmetric NAT from a cone).
pub const RELAY2_IP: &str = "203.0.113.2";

/// How a router maps its LAN hosts to its WAN address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat {
    /// Endpoint-independent mapping ("cone"): one public port per socket,
    /// whoever it talks to. Hole punching works.
    Cone,
    /// A new random public port for every destination ("symmetric"): hole
    /// punching fails, traffic goes through the relay.
    Symmetric,
}

/// What a router's LAN lets through between its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LanRules {
    /// Drops multicast between hosts (no mDNS, so no nearby list).
    pub drop_multicast: bool,
    /// Client isolation: hosts cannot reach each other at all, only the
    /// router (as on guest Wi-Fi).
    pub isolate_clients: bool,
}

/// One lab: its namespaces, servers and files.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    routers: Vec<Router>,
    hosts: Vec<Host>,
    servers: Vec<(String, Child)>,
    dir: tempfile::TempDir,
    /// The CA certificate that signed the relays' certificate (PEM).
    pub ca_cert: PathBuf,
}

#[derive(Debug, Clone)]
struct Router {
    ns: String,
    index: usize,
}

/// A host (a device) on one router's LAN.
#[derive(Debug, Clone)]
struct Host {
    ns: String,
    router: usize,
    /// Ports on the router's bridge are named after the host.
    port: String,
    ip: String,
}

static LABS: AtomicU32 = AtomicU32::new(0);

/// The `nft` ruleset of a router with this NAT and these LAN rules.
fn router_rules(nat: Nat, lan: LanRules) -> String {
    let masquerade = match nat {
        Nat::Cone => "masquerade",
        Nat::Symmetric => "masquerade random,fully-random",
    };
    // As on a real home router, unsolicited packets from the WAN are
    // dropped, before conntrack confirms an entry for them: a confirmed
    // entry would make the next outgoing packet to that sender take a new
    // port, and no cone NAT would ever let a hole punch through.
    let mut rules = format!(
        "table ip nat {{
            chain outgoing {{
                type nat hook postrouting priority srcnat; policy accept;
                oifname \"wan\" {masquerade}
            }}
        }}
        table ip filter {{
            chain incoming {{
                type filter hook input priority filter; policy drop;
                ct state established,related accept
                iifname {{ \"lo\", \"lan\" }} accept
            }}
            chain forwarding {{
                type filter hook forward priority filter; policy drop;
                ct state established,related accept
                iifname \"lan\" oifname \"wan\" accept
            }}
        }}\n"
    );
    if lan.drop_multicast {
        rules.push_str(
            "table bridge lanfilter {
                chain forwarding {
                    type filter hook forward priority filter; policy accept;
                    meta pkttype multicast drop
                }
            }\n",
        );
    }
    rules
}

impl Lab {
    /// Builds the internet segment with its servers and `routers` home
    /// routers (each with its NAT and LAN rules), no hosts yet.
    pub async fn build(routers: &[(Nat, LanRules)]) -> Result<Self> {
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("fl{}x{n}", std::process::id() % 100_000);
        let dir = tempfile::tempdir()?;
        let mut lab = Self {
            prefix,
            namespaces: Vec::new(),
            routers: Vec::new(),
            hosts: Vec::new(),
            servers: Vec::new(),
            ca_cert: dir.path().join("ca.crt"),
            dir,
        };
        let inet = lab.add_ns("inet")?;
        ip(&["-n", &inet, "link", "add", "br0", "type", "bridge"])?;
        ip(&[
            "-n",
            &inet,
            "link",
            "set",
            "br0",
            "address",
            "02:00:00:00:00:01",
        ])?;
        ip(&[
            "-n",
            &inet,
            "addr",
            "add",
            &format!("{RELAY_IP}/24"),
            "dev",
            "br0",
        ])?;
        ip(&[
            "-n",
            &inet,
            "addr",
            "add",
            &format!("{RELAY2_IP}/24"),
            "dev",
            "br0",
        ])?;
        ip(&["-n", &inet, "link", "set", "br0", "up"])?;
        for (i, (nat, rules)) in routers.iter().enumerate() {
            lab.add_router(i + 1, *nat, *rules)?;
        }
        lab.make_certificates().await?;
        lab.start_servers().await?;
        Ok(lab)
    }

    fn add_ns(&mut self, role: &str) -> Result<String> {
        let ns = format!("{}-{role}", self.prefix);
        ip(&["netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    fn inet(&self) -> &str {
        &self.namespaces[0]
    }

    fn add_router(&mut self, index: usize, nat: Nat, rules: LanRules) -> Result<()> {
        let ns = self.add_ns(&format!("r{index}"))?;
        let inet = self.inet().to_string();
        let port = format!("r{index}");
        ip(&[
            "-n", &ns, "link", "add", "wan", "type", "veth", "peer", "name", &port, "netns", &inet,
        ])?;
        ip(&["-n", &inet, "link", "set", &port, "master", "br0"])?;
        ip(&["-n", &inet, "link", "set", &port, "up"])?;
        let wan = format!("203.0.113.{}/24", 10 + index);
        ip(&["-n", &ns, "addr", "add", &wan, "dev", "wan"])?;
        ip(&["-n", &ns, "link", "set", "wan", "up"])?;
        ip(&["-n", &ns, "link", "add", "lan", "type", "bridge"])?;
        // A bridge takes the lowest MAC of its ports unless given one: a
        // host unplugged from it would change the router's MAC under the
        // other hosts' ARP caches, and cut them off for half a minute.
        let mac = format!("02:00:00:00:{index:02x}:01");
        ip(&["-n", &ns, "link", "set", "lan", "address", &mac])?;
        ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("192.168.{index}.1/24"),
            "dev",
            "lan",
        ])?;
        ip(&["-n", &ns, "link", "set", "lan", "up"])?;
        // Traffic between LAN hosts is bridged, not routed: it must not
        // meet the router's IP filter (where br_netfilter is loaded).
        sysctl(&ns, "net.bridge.bridge-nf-call-iptables", "0").ok();
        sysctl(&ns, "net.ipv4.ip_forward", "1")?;
        nft(&ns, &router_rules(nat, rules))?;
        self.routers.push(Router { ns, index });
        Ok(())
    }

    /// A CA and a certificate it signed for both relay addresses, made by
    /// the commands of the self-hosting guide.
    async fn make_certificates(&self) -> Result<()> {
        let script = guide_block("RELAY_SAN=")?;
        run_tool(
            Command::new("bash")
                .args(["-euo", "pipefail", "-c", &script])
                .current_dir(self.dir.path())
                .env("RELAY_SAN", format!("IP:{RELAY_IP},IP:{RELAY2_IP}")),
        )
        .await
    }

    async fn start_servers(&mut self) -> Result<()> {
        for ip in [RELAY_IP, RELAY2_IP] {
            self.start_relay(ip).await?;
        }
        let d = self.dir.path();
        let dns_dir = d.join("dns-data");
        std::fs::create_dir_all(&dns_dir)?;
        let config = d.join("dns.toml");
        let text = guide_block("# dns-server-private.toml")?;
        let text = replaced(&text, "0.0.0.0", RELAY_IP)?;
        let text = replaced(&text, "192.168.1.2", RELAY_IP)?;
        let text = replaced(
            &text,
            "/var/lib/ferry-discovery",
            &dns_dir.display().to_string(),
        )?;
        std::fs::write(&config, text)?;
        let child = self.spawn_in(
            self.inet(),
            &tool("iroh-dns-server"),
            &["-c".as_ref(), config.as_os_str()],
            "dns",
        )?;
        self.servers.push(("discovery server".into(), child));
        self.wait_listening(RELAY_IP, 8080, "discovery server")
            .await?;
        Ok(())
    }

    async fn start_relay(&mut self, ip: &str) -> Result<()> {
        let d = self.dir.path();
        let config = d.join(format!("relay-{ip}.toml"));
        let text = guide_block("# relay-private.toml")?;
        let text = replaced(&text, "0.0.0.0", ip)?;
        let text = replaced(&text, "/etc/ferry-relay", &d.display().to_string())?;
        std::fs::write(&config, text)?;
        let child = self.spawn_in(
            self.inet(),
            &tool("iroh-relay"),
            &["--dev".as_ref(), "-c".as_ref(), config.as_os_str()],
            &format!("relay-{ip}"),
        )?;
        self.servers.push((format!("relay {ip}"), child));
        self.wait_listening(ip, 3340, "relay").await
    }

    fn spawn_in(
        &self,
        ns: &str,
        program: &Path,
        args: &[&std::ffi::OsStr],
        log: &str,
    ) -> Result<Child> {
        let out = std::fs::File::create(self.dir.path().join(format!("{log}.log")))?;
        std::process::Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args)
            .current_dir(self.dir.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))
    }

    /// Waits until a TCP port answers inside the internet namespace.
    async fn wait_listening(&mut self, ip: &str, port: u16, what: &str) -> Result<()> {
        for _ in 0..200 {
            let mut exited = None;
            for (name, child) in &mut self.servers {
                if let Some(status) = child.try_wait()? {
                    exited = Some(format!("the lab's {name} exited ({status})"));
                }
            }
            if let Some(exited) = exited {
                bail!("{exited}: {}", self.logs());
            }
            let probe = Command::new("ip")
                .args(["netns", "exec", self.inet(), "bash", "-c"])
                .arg(format!("exec 3<>/dev/tcp/{ip}/{port}"))
                .stderr(Stdio::null())
                .status()
                .await?;
            if probe.success() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "the lab's {what} did not listen on {ip}:{port}: {}",
            self.logs()
        )
    }

    /// Every server's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "log") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let tail: String = text.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                    out.push_str(&format!("\n--- {}\n{tail}", path.display()));
                }
            }
        }
        out
    }

    /// The relay's URL (plain HTTP; QUIC address discovery on 7842).
    pub fn relay_url(&self) -> String {
        format!("http://{RELAY_IP}:3340")
    }

    /// Both relays' URLs, as one setting.
    pub fn relay_urls(&self) -> String {
        format!("http://{RELAY_IP}:3340,http://{RELAY2_IP}:3340")
    }

    /// The discovery server's pkarr URL.
    pub fn discovery_url(&self) -> String {
        format!("http://{RELAY_IP}:8080/pkarr")
    }

    /// Adds a host (a device) behind router `router` (1-based); returns
    /// its index.
    pub fn add_host(&mut self, router: usize) -> Result<usize> {
        let index = self.hosts.len();
        let ns = self.add_ns(&format!("h{index}"))?;
        let port = format!("h{index}");
        let mut host = Host {
            ns,
            router,
            port,
            ip: String::new(),
        };
        self.plug(&mut host, router)?;
        self.hosts.push(host);
        Ok(index)
    }

    fn plug(&self, host: &mut Host, router: usize) -> Result<()> {
        let r = self
            .routers
            .iter()
            .find(|r| r.index == router)
            .context("no such router")?;
        let ip_addr = format!("192.168.{router}.{}", 10 + self.hosts_on(router, &host.ns));
        ip(&[
            "-n", &host.ns, "link", "add", "eth0", "type", "veth", "peer", "name", &host.port,
            "netns", &r.ns,
        ])?;
        ip(&["-n", &r.ns, "link", "set", &host.port, "master", "lan"])?;
        ip(&["-n", &r.ns, "link", "set", &host.port, "up"])?;
        ip(&[
            "-n",
            &host.ns,
            "addr",
            "add",
            &format!("{ip_addr}/24"),
            "dev",
            "eth0",
        ])?;
        ip(&["-n", &host.ns, "link", "set", "eth0", "up"])?;
        ip(&[
            "-n",
            &host.ns,
            "route",
            "add",
            "default",
            "via",
            &format!("192.168.{router}.1"),
        ])?;
        host.router = router;
        host.ip = ip_addr;
        Ok(())
    }

    fn hosts_on(&self, router: usize, except: &str) -> usize {
        self.hosts
            .iter()
            .filter(|h| h.router == router && h.ns != except)
            .count()
    }

    /// Turns on the router's client isolation for its LAN ports.
    pub fn isolate_clients(&self, router: usize) -> Result<()> {
        for h in self.hosts.iter().filter(|h| h.router == router) {
            let r = &self.routers[router - 1];
            ip(&[
                "-n",
                &r.ns,
                "link",
                "set",
                "dev",
                &h.port,
                "type",
                "bridge_slave",
                "isolated",
                "on",
            ])?;
        }
        Ok(())
    }

    /// Unplugs host `i` and plugs it into router `router`'s LAN, with a new
    /// address there (a phone that left home for another network).
    pub fn move_host(&mut self, i: usize, router: usize) -> Result<()> {
        let mut host = self.hosts[i].clone();
        ip(&["-n", &host.ns, "link", "del", "eth0"])?;
        self.plug(&mut host, router)?;
        self.hosts[i] = host;
        Ok(())
    }

    /// Takes host `i`'s link down (`false`) or up again (`true`).
    pub fn set_link(&self, i: usize, up: bool) -> Result<()> {
        let h = &self.hosts[i];
        ip(&[
            "-n",
            &h.ns,
            "link",
            "set",
            "eth0",
            if up { "up" } else { "down" },
        ])?;
        if up {
            // Taking the link down dropped its routes.
            let gw = format!("192.168.{}.1", h.router);
            let _ = ip(&["-n", &h.ns, "route", "replace", "default", "via", &gw]);
        }
        Ok(())
    }

    /// Caps what host `i` sends at `mbit` megabits a second (a slow uplink,
    /// so a transfer takes long enough to be cut half-way).
    pub fn limit_rate(&self, i: usize, mbit: u32) -> Result<()> {
        let out = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.hosts[i].ns,
                "tc",
                "qdisc",
                "replace",
                "dev",
                "eth0",
            ])
            .args([
                "root",
                "tbf",
                "rate",
                &format!("{mbit}mbit"),
                "burst",
                "32kb",
            ])
            .args(["latency", "400ms"])
            .output()
            .context("running tc (iproute2)")?;
        if !out.status.success() {
            bail!("tc: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// Stops the relays and the discovery server (the servers are down).
    pub fn stop_servers(&mut self) {
        for (_, child) in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Host `i`'s LAN address.
    pub fn host_ip(&self, i: usize) -> &str {
        &self.hosts[i].ip
    }

    /// A `ferry` command run on host `i`: all interfaces, the lab's relay
    /// and discovery server, trusting the lab's CA, JSON output.
    pub fn ferry(&self, i: usize, data_dir: &Path) -> Command {
        let mut cmd = self.ferry_bare(i, data_dir);
        cmd.env("FERRY_RELAY", self.relay_url())
            .env("FERRY_DISCOVERY", self.discovery_url());
        cmd
    }

    /// A `ferry` command on host `i` with no relay or discovery chosen:
    /// the caller sets `FERRY_RELAY` and `FERRY_DISCOVERY`.
    pub fn ferry_bare(&self, i: usize, data_dir: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.hosts[i].ns])
            .arg(crate::ferry_bin())
            .env("FERRY_DATA_DIR", data_dir)
            .env("FERRY_TRUST_CERT", &self.ca_cert)
            .env_remove("FERRY_BIND")
            .env_remove("RUST_LOG")
            .arg("--json")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// Pairs the data dirs on two hosts with real `ferry pair` processes:
    /// host `shower` shows the code as a QR image, host `joiner` scans it
    /// (reads the image), and accepts the shower's pushes without asking.
    pub async fn pair(
        &self,
        shower: (usize, &Path, &str),
        joiner: (usize, &Path, &str),
    ) -> Result<()> {
        let qr = self
            .dir
            .path()
            .join(format!("pair-{}-{}.png", shower.0, joiner.0));
        let mut cmd = self.ferry(shower.0, shower.1);
        cmd.args(["--name", shower.2, "pair", "--timeout", "120", "--qr-png"])
            .arg(&qr);
        let mut showing = crate::Running::spawn(cmd);
        showing.next("pair-ticket").await;
        let mut cmd = self.ferry(joiner.0, joiner.1);
        cmd.args(["--name", joiner.2, "pair", "--from-image"])
            .arg(&qr);
        let joined = crate::run(cmd).await?;
        if joined.code != 0 {
            bail!("pairing failed: {}", joined.stderr);
        }
        showing.next("paired").await;
        if !showing.success().await {
            bail!("the showing side failed");
        }
        let mut cmd = self.ferry(joiner.0, joiner.1);
        cmd.args(["devices", "set", shower.2, "--auto-accept", "on"]);
        let set = crate::run(cmd).await?;
        if set.code != 0 {
            bail!("setting auto-accept failed: {}", set.stderr);
        }
        Ok(())
    }

    /// A `ferry listen` on host `i` that accepts its auto-accept devices'
    /// pushes into `out`, once it listens.
    pub async fn listen(&self, i: usize, data_dir: &Path, out: &Path) -> crate::Running {
        let mut cmd = self.ferry(i, data_dir);
        cmd.args(["listen", "--accept", "trusted", "--out"])
            .arg(out);
        let mut running = crate::Running::spawn(cmd);
        running.next("listening").await;
        running
    }

    /// A command run in host `i`'s namespace.
    pub fn command_on(&self, i: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.hosts[i].ns])
            .arg(program)
            .kill_on_drop(true);
        cmd
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop_servers();
        for ns in self.namespaces.iter().rev() {
            let _ = std::process::Command::new("ip")
                .args(["netns", "delete", ns])
                .status();
        }
    }
}

/// The self-hosting guide: the lab runs its servers exactly as it says.
const GUIDE: &str = include_str!("../../docs/self-hosting.md");

/// The fenced code block of the guide that holds `marker`.
fn guide_block(marker: &str) -> Result<String> {
    let mut blocks = GUIDE.split("```").skip(1).step_by(2);
    let block = blocks
        .find(|b| b.contains(marker))
        .with_context(|| format!("docs/self-hosting.md has no block with {marker:?}"))?;
    // Drop the info string (`toml`, `sh`) on the opening line.
    Ok(block
        .split_once('\n')
        .map(|(_, body)| body)
        .unwrap_or("")
        .to_string())
}

/// `text` with every `from` replaced, failing if there is none (the guide
/// changed under the lab).
fn replaced(text: &str, from: &str, to: &str) -> Result<String> {
    if !text.contains(from) {
        bail!("the self-hosting guide's block no longer holds {from:?}:\n{text}");
    }
    Ok(text.replace(from, to))
}

/// A lab tool: `$FERRY_LAB_TOOLS/NAME` when set, else NAME on the PATH.
fn tool(name: &str) -> PathBuf {
    match std::env::var_os("FERRY_LAB_TOOLS") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => PathBuf::from(name),
    }
}

fn ip(args: &[&str]) -> Result<()> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .context("running `ip` (iproute2)")?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed (the lab needs root): {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn sysctl(ns: &str, key: &str, value: &str) -> Result<()> {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns, "sysctl", "-qw"])
        .arg(format!("{key}={value}"))
        .output()
        .context("running sysctl")?;
    if !out.status.success() {
        bail!(
            "sysctl {key} in {ns}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn nft(ns: &str, rules: &str) -> Result<()> {
    use std::io::Write;
    let mut child = std::process::Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running nft (nftables)")?;
    child
        .stdin
        .take()
        .context("nft stdin")?
        .write_all(rules.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "nft in {ns}: {}\n{rules}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

async fn run_tool(cmd: &mut Command) -> Result<()> {
    let out = cmd.output().await.context("running a lab tool")?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.as_std().get_program(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The version of a package in the workspace's lock file.
    fn locked(name: &str) -> String {
        let lock = include_str!("../../Cargo.lock");
        let at = lock
            .find(&format!("name = \"{name}\"\nversion = \""))
            .expect("in the lock file");
        let rest = &lock[at..];
        let start = rest.find("version = \"").unwrap() + "version = \"".len();
        rest[start..start + rest[start..].find('"').unwrap()].to_string()
    }

    #[test]
    fn the_guide_and_the_test_command_install_the_servers_of_ferrys_iroh() {
        let iroh = locked("iroh");
        for server in ["iroh-relay --version", "iroh-dns-server --version"] {
            let line = format!("cargo install {server} {iroh}");
            assert!(GUIDE.contains(&line), "docs/self-hosting.md: {line}");
        }
        let script = include_str!("../../scripts/test.sh");
        assert!(
            script.contains(&format!("IROH_SERVERS_VERSION=\"{iroh}\"")),
            "scripts/test.sh installs another version than iroh {iroh}"
        );
        // The blocks the lab runs are there.
        for marker in [
            "RELAY_SAN=",
            "# relay-private.toml",
            "# dns-server-private.toml",
        ] {
            guide_block(marker).unwrap();
        }
    }
}
