//! The local JSON-RPC API over real HTTP and a real Unix socket: auth,
//! every method, bad input, many clients at once, the event stream.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Duration,
};

use ferry_core::{
    HasKind, Node,
    api::{ApiConfig, ApiServer, client::ApiClient, client::ClientError, client::EventStream},
};
use ferry_tests::{loopback_node, random_bytes, write_file};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

struct Served {
    node: Node,
    server: ApiServer,
    http: ApiClient,
}

async fn serve(dir: &Path, name: &str) -> Served {
    let node = loopback_node(dir, name).await;
    let server = ApiServer::start(&node, ApiConfig::default())
        .await
        .expect("the API starts");
    let http = ApiClient::http(
        server.endpoint().http.expect("an HTTP address"),
        server.token(),
    );
    Served { node, server, http }
}

impl Served {
    async fn stop(self) {
        self.server.stop().await;
        self.node.shutdown().await;
    }
}

/// The next event called `name`, skipping others.
async fn next_event(events: &mut EventStream, name: &str) -> Value {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let e = events.next().await.expect("the event stream ended");
            if e["event"] == name {
                return e;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {name} event"))
}

/// The end of operation `id`: its result, or the error.
async fn operation_end(events: &mut EventStream, id: &Value) -> Result<Value, Value> {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let e = events.next().await.expect("the event stream ended");
            if e["operation"] == *id {
                match e["event"].as_str() {
                    Some("operation_finished") => return Ok(e["result"].clone()),
                    Some("operation_failed") => return Err(e["error"].clone()),
                    _ => {}
                }
            }
        }
    })
    .await
    .expect("the operation ends")
}

fn rpc_kind(e: ClientError) -> (i64, String) {
    match e {
        ClientError::Rpc { code, kind, .. } => (
            code,
            kind.map(|k| {
                serde_json::to_value(k)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap_or_default(),
        ),
        other => panic!("not a JSON-RPC error: {other}"),
    }
}

#[tokio::test]
async fn requests_without_the_token_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let token_file = dir.path().join("api-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token is readable by its owner only");
    }
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap().trim(),
        a.server.token()
    );

    let change = json!({"jsonrpc": "2.0", "id": 1, "method": "node.set_settings",
                        "params": {"accept": "ask"}})
    .to_string()
    .into_bytes();
    for token in [None, Some("0".repeat(64).as_str()), Some("")] {
        let r = a
            .http
            .send("POST", "/rpc", Some(change.clone()), token)
            .await
            .unwrap();
        assert_eq!(r.status, 401, "token {token:?}");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("api-token")
        );
        let events = a.http.send("GET", "/events", None, token).await.unwrap();
        assert_eq!(events.status, 401);
    }
    let settings = a.http.call_json("node.settings", json!({})).await.unwrap();
    assert_eq!(
        settings["accept"], "never",
        "nothing changed without the token"
    );

    // The same token over the socket; the client finds it from the data dir.
    let local = ApiClient::for_data_dir(dir.path()).expect("api.json and the token");
    let info = local.call_json("node.info", json!({})).await.unwrap();
    assert_eq!(info["name"], "Studio");
    assert_eq!(info["id"], a.node.id().to_string());
    #[cfg(unix)]
    assert_eq!(info["api_socket"], json!(dir.path().join("api.sock")));

    // A new server on the same data dir keeps the token scripts have read.
    let token = a.server.token().to_string();
    a.stop().await;
    assert!(
        !dir.path().join("api.json").exists(),
        "api.json goes with the server"
    );
    assert!(
        !dir.path().join("api.sock").exists(),
        "the socket goes with the server"
    );
    assert!(ApiClient::for_data_dir(dir.path()).is_none());
    let again = serve(dir.path(), "Studio").await;
    assert_eq!(again.server.token(), token);
    again.stop().await;
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let token = a.server.token().to_string();
    let post = |body: Vec<u8>| {
        let client = a.http.clone();
        let token = token.clone();
        async move {
            client
                .send("POST", "/rpc", Some(body), Some(&token))
                .await
                .unwrap()
        }
    };
    let error_of = |r: &ferry_core::api::client::RawResponse| {
        let v = r.json();
        (
            v["error"]["code"].as_i64().unwrap_or(0),
            v["error"]["message"].as_str().unwrap_or("").to_string(),
        )
    };

    let r = post(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\"".to_vec()).await;
    assert_eq!(error_of(&r).0, -32700);
    assert!(
        error_of(&r).1.contains("malformed JSON"),
        "{}",
        error_of(&r).1
    );

    let r = post(br#"["not", "requests"]"#.to_vec()).await;
    let answers = r.json();
    assert_eq!(answers.as_array().unwrap().len(), 2);
    assert_eq!(answers[0]["error"]["code"], -32600);

    let r = post(br#"{"jsonrpc": "2.0", "id": 2, "method": "node.frobnicate"}"#.to_vec()).await;
    assert_eq!(error_of(&r).0, -32601);
    assert!(error_of(&r).1.contains("rpc.discover"));
    assert_eq!(r.json()["id"], 2);

    let r = post(br#"{"jsonrpc": "2.0", "id": 3, "method": "devices.rename", "params": {"device": 5, "name": "x"}}"#.to_vec()).await;
    let (code, message) = error_of(&r);
    assert_eq!(code, -32602);
    assert!(
        message.contains("devices.rename") && message.contains("invalid type"),
        "{message}"
    );

    let r = post(
        br#"{"jsonrpc": "2.0", "id": 4, "method": "devices.rename", "params": {"device": "x"}}"#
            .to_vec(),
    )
    .await;
    assert!(
        error_of(&r).1.contains("missing field `name`"),
        "{}",
        error_of(&r).1
    );

    let r = post(
        br#"{"jsonrpc": "2.0", "id": 5, "method": "node.info", "params": {"verbose": true}}"#
            .to_vec(),
    )
    .await;
    assert!(
        error_of(&r).1.contains("unknown field `verbose`"),
        "{}",
        error_of(&r).1
    );

    let r = post(
        br#"{"jsonrpc": "2.0", "id": 6, "method": "devices.rename", "params": ["a", "b"]}"#
            .to_vec(),
    )
    .await;
    assert!(
        error_of(&r).1.contains("named parameters"),
        "{}",
        error_of(&r).1
    );

    let r = post(br#"{"jsonrpc": "1.0", "id": 7, "method": "node.info"}"#.to_vec()).await;
    assert_eq!(error_of(&r).0, -32600);

    // Too big: refused before it is read whole.
    let mut huge =
        br#"{"jsonrpc": "2.0", "id": 8, "method": "shares.create", "params": {"text": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 2 << 20));
    huge.extend(br#""}}"#);
    let r = post(huge).await;
    assert_eq!(r.status, 413);
    assert_eq!(error_of(&r).0, -32600);
    assert!(error_of(&r).1.contains("too large"), "{}", error_of(&r).1);

    for bad in ["", "blobnotaticket", "ferrypair!!!", "ferry://"] {
        let e = a
            .http
            .call_json("shares.inspect", json!({"ticket": bad}))
            .await
            .unwrap_err();
        let message = e.to_string();
        assert_eq!(rpc_kind(e), (-32001, "invalid_input".into()), "{bad:?}");
        assert!(message.starts_with("invalid ticket"), "{message}");
    }
    let e = a
        .http
        .call_json("pairing.join", json!({"ticket": "ferrypairAAAA"}))
        .await
        .unwrap_err();
    assert_eq!(rpc_kind(e).1, "invalid_input");
    let e = a
        .http
        .call_json("shares.create", json!({"paths": ["relative/file.txt"]}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("absolute"), "{e}");
    let e = a
        .http
        .call_json("devices.remove", json!({"device": "nobody"}))
        .await
        .unwrap_err();
    assert_eq!(rpc_kind(e).1, "not_found");
    let e = a
        .http
        .call_json(
            "transfers.push",
            json!({"device": "nobody", "text": "hi", "queue_for_secs": 0}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("queue_for_secs"), "{e}");
    let e = a
        .http
        .call_json(
            "transfers.accept",
            json!({"offer_id": 99, "out": dir.path().join("never")}),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_kind(e).1, "not_found");
    assert!(
        !dir.path().join("never").exists(),
        "nothing made for a bad offer"
    );

    // A notification gets no answer but is carried out.
    let r = post(
        br#"{"jsonrpc": "2.0", "method": "node.set_settings", "params": {"accept": "trusted"}}"#
            .to_vec(),
    )
    .await;
    assert_eq!((r.status, r.body.len()), (204, 0));
    // A batch: each request answered on its own, in order.
    let r = post(
        br#"[{"jsonrpc": "2.0", "id": "a", "method": "node.settings"},
                      {"jsonrpc": "2.0", "id": "b", "method": "nope"}]"#
            .to_vec(),
    )
    .await;
    let answers = r.json();
    assert_eq!(answers[0]["result"]["accept"], "trusted");
    assert_eq!(answers[1]["error"]["code"], -32601);
    let r = post(b"[]".to_vec()).await;
    assert_eq!(error_of(&r).0, -32600);

    // Still serving.
    assert_eq!(
        a.http.call_json("node.info", json!({})).await.unwrap()["name"],
        "Studio"
    );
    a.stop().await;
}

#[tokio::test]
async fn fifty_clients_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let socket = ApiClient::for_data_dir(dir.path()).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        // Half over HTTP, half over the socket.
        let client = if i % 2 == 0 {
            a.http.clone()
        } else {
            socket.clone()
        };
        tasks.spawn(async move {
            let mut tickets = Vec::new();
            for j in 0..4 {
                let text = format!("note {i}-{j}");
                let share = client
                    .call_json("shares.create", json!({"text": text}))
                    .await
                    .unwrap();
                tickets.push((text, share["ticket"].as_str().unwrap().to_string()));
                let info = client.call_json("node.info", json!({})).await.unwrap();
                assert_eq!(info["name"], "Studio");
            }
            let created = client
                .call_json("collections.create", json!({"name": format!("box-{i:02}")}))
                .await
                .unwrap();
            assert_eq!(created["name"], format!("box-{i:02}"));
            tickets
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.expect("a client task"));
    }
    assert_eq!(all.len(), 200);
    let distinct: BTreeSet<_> = all.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(distinct.len(), 200, "every share got its own ticket");
    let listed = a
        .http
        .call_json("collections.list", json!({}))
        .await
        .unwrap();
    let names: BTreeSet<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let wanted: BTreeSet<_> = (0..50).map(|i| format!("box-{i:02}")).collect();
    assert_eq!(names, wanted, "every collection was created, once");
    // A few shares read back: each serves its own text.
    let reader_dir = tempfile::tempdir().unwrap();
    let reader = loopback_node(reader_dir.path(), "Reader").await;
    for (text, ticket) in all.iter().step_by(37) {
        let offer = reader
            .transfers()
            .offer(&ticket.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(offer.text.as_deref(), Some(text.as_str()));
    }
    reader.shutdown().await;
    a.stop().await;
}

/// Every method, called over HTTP between two served nodes; the test
/// checks at the end that it called every method `rpc.discover` lists.
#[tokio::test]
async fn every_method_over_http_with_its_events() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = serve(dirs[0].path(), "Studio").await;
    let b = serve(dirs[1].path(), "Pixel").await;
    let mut called = BTreeSet::new();
    macro_rules! call {
        ($who:expr, $method:literal, $params:expr) => {{
            called.insert($method);
            $who.http.call_json($method, $params).await
        }};
    }
    let mut a_events = a.http.events().await.unwrap();
    let mut b_events = b.http.events().await.unwrap();

    // Node and settings.
    let info = call!(a, "node.info", json!({})).unwrap();
    assert_eq!(info["name"], "Studio");
    assert!(
        info["addrs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().starts_with("127.0.0.1:"))
    );
    assert_eq!(
        info["api_http"],
        a.server.endpoint().http.unwrap().to_string()
    );
    let inbox = dirs[1].path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let set = call!(
        b,
        "node.set_settings",
        json!({"accept": "ask", "download_dir": inbox})
    )
    .unwrap();
    assert_eq!(set, json!({"accept": "ask", "download_dir": inbox}));
    assert_eq!(call!(b, "node.settings", json!({})).unwrap(), set);
    let e = call!(
        b,
        "node.set_settings",
        json!({"download_dir": dirs[1].path().join("missing")})
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a folder"), "{e}");

    // Pairing: A shows a ticket, B joins it; A's stream announces it.
    let pairing = call!(a, "pairing.start", json!({"valid_for_secs": 120})).unwrap();
    assert!(pairing["expires_at"].as_u64().unwrap() > 0);
    let joined = call!(b, "pairing.join", json!({"ticket": pairing["ticket"]})).unwrap();
    assert_eq!(joined["name"], "Studio");
    let paired = next_event(&mut a_events, "paired").await;
    assert_eq!(paired["name"], "Pixel");
    call!(a, "pairing.stop", json!({})).unwrap();
    let e = call!(b, "pairing.join", json!({"ticket": pairing["ticket"]})).unwrap_err();
    assert_eq!(rpc_kind(e).1, "rejected", "a stopped pairing refuses");

    // Devices.
    let listed = call!(a, "devices.list", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "Pixel");
    let renamed = call!(
        a,
        "devices.rename",
        json!({"device": "Pix", "name": "Pixel 9"})
    )
    .unwrap();
    assert_eq!(renamed["name"], "Pixel 9");
    let auto = call!(
        a,
        "devices.set_auto_accept",
        json!({"device": "Pixel 9", "on": true})
    )
    .unwrap();
    assert_eq!(auto["auto_accept"], true);
    let status = call!(a, "devices.status", json!({})).unwrap();
    assert_eq!(status[0]["online"], true);
    assert_eq!(status[0]["device"]["name"], "Pixel 9");
    let nearby = call!(a, "devices.nearby", json!({})).unwrap();
    assert!(nearby.is_array());
    // The network doctor: with relays off it says so, and probes B.
    let doctor = call!(a, "network.doctor", json!({})).unwrap();
    assert_eq!(doctor["relays"], json!([]));
    assert_eq!(doctor["discovery"]["service"], "off");
    assert_eq!(doctor["verdict"]["level"], "limited");
    assert_eq!(doctor["devices"][0]["device"]["name"], "Pixel 9");
    assert_eq!(doctor["devices"][0]["online"], true);

    // Shares: A shares a file; B inspects, then receives it as an operation.
    let file = dirs[0].path().join("report.bin");
    let data = random_bytes(300_000, 7);
    write_file(&file, &data);
    let share = call!(
        a,
        "shares.create",
        json!({"paths": [file], "text": "for you"})
    )
    .unwrap();
    assert_eq!(share["files"], 1, "the text is not counted as a file");
    let offer = call!(b, "shares.inspect", json!({"ticket": share["ticket"]})).unwrap();
    assert_eq!(offer["text"], "for you");
    assert!(
        offer["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "report.bin" && e["size"] == 300_000)
    );
    let got = dirs[1].path().join("got");
    let started = call!(
        b,
        "shares.receive",
        json!({"ticket": share["ticket"], "out": got})
    )
    .unwrap();
    let result = operation_end(&mut b_events, &started["operation"])
        .await
        .unwrap();
    assert_eq!(result["text"], "for you");
    assert_eq!(std::fs::read(got.join("report.bin")).unwrap(), data);
    call!(a, "shares.stop", json!({"root": share["root"]})).unwrap();
    let started = call!(
        b,
        "shares.receive",
        json!({"ticket": share["ticket"], "out": got})
    )
    .unwrap();
    let error = operation_end(&mut b_events, &started["operation"])
        .await
        .unwrap_err();
    assert!(
        error["message"].as_str().unwrap().contains("not shared"),
        "{error}"
    );

    // Push: B asks; the offer waits in its list until accepted.
    let photo = dirs[0].path().join("photo.jpg");
    let photo_data = random_bytes(200_000, 8);
    write_file(&photo, &photo_data);
    let push = call!(
        a,
        "transfers.push",
        json!({"device": "Pixel 9", "paths": [photo]})
    )
    .unwrap();
    assert_eq!(push["device"]["name"], "Pixel 9", "the device it goes to");
    let received = next_event(&mut b_events, "offer_received").await;
    let offer_id = received["offer_id"].clone();
    let activity = call!(b, "transfers.list", json!({})).unwrap();
    assert_eq!(activity["offers"][0]["offer_id"], offer_id);
    assert_eq!(activity["offers"][0]["state"], "waiting");
    let running = call!(a, "transfers.list", json!({})).unwrap();
    assert_eq!(running["operations"][0]["operation"], push["operation"]);
    assert_eq!(running["operations"][0]["target"], "Pixel 9");
    call!(b, "transfers.accept", json!({"offer_id": offer_id})).unwrap();
    let report = operation_end(&mut a_events, &push["operation"])
        .await
        .unwrap();
    assert_eq!(report["bytes"], 200_000);
    assert_eq!(std::fs::read(inbox.join("photo.jpg")).unwrap(), photo_data);
    next_event(&mut b_events, "offer_done").await;
    assert_eq!(
        call!(b, "transfers.list", json!({})).unwrap()["offers"],
        json!([])
    );

    // Accepted into a folder of the caller's choosing.
    let push = call!(
        a,
        "transfers.push",
        json!({"device": "Pixel 9", "paths": [photo]})
    )
    .unwrap();
    let received = next_event(&mut b_events, "offer_received").await;
    let album = dirs[1].path().join("Album");
    call!(
        b,
        "transfers.accept",
        json!({"offer_id": received["offer_id"], "out": album})
    )
    .unwrap();
    operation_end(&mut a_events, &push["operation"])
        .await
        .unwrap();
    assert_eq!(std::fs::read(album.join("photo.jpg")).unwrap(), photo_data);
    assert!(!inbox.join("photo (1).jpg").exists());

    // A rejected push fails its operation with the kind.
    let push = call!(
        a,
        "transfers.push",
        json!({"device": "Pixel 9", "text": "hello"})
    )
    .unwrap();
    let received = next_event(&mut b_events, "offer_received").await;
    call!(
        b,
        "transfers.reject",
        json!({"offer_id": received["offer_id"]})
    )
    .unwrap();
    let error = operation_end(&mut a_events, &push["operation"])
        .await
        .unwrap_err();
    assert_eq!(error["kind"], "rejected");
    assert!(error["reason"].is_string(), "the device's answer: {error}");

    // A push left waiting is cancelled by its operation id, and what it
    // offered is served no more. (A share of the same file has the same
    // root: its ticket reaches the push's content.)
    let same = call!(a, "shares.create", json!({"paths": [photo]})).unwrap();
    call!(a, "shares.stop", json!({"root": same["root"]})).unwrap();
    let inspect = || {
        b.http
            .call_json("shares.inspect", json!({"ticket": same["ticket"]}))
    };
    assert!(inspect().await.is_err(), "nothing served before the push");
    let push = call!(
        a,
        "transfers.push",
        json!({"device": "Pixel 9", "paths": [photo], "text": "later"})
    )
    .unwrap();
    let received = next_event(&mut b_events, "offer_received").await;
    assert!(
        inspect().await.is_ok(),
        "served to the device while offered"
    );
    call!(
        a,
        "operations.cancel",
        json!({"operation": push["operation"]})
    )
    .unwrap();
    let error = operation_end(&mut a_events, &push["operation"])
        .await
        .unwrap_err();
    assert_eq!(error["kind"], "cancelled");
    assert!(inspect().await.is_err(), "a cancelled push serves nothing");
    let e = call!(
        a,
        "operations.cancel",
        json!({"operation": push["operation"]})
    )
    .unwrap_err();
    assert_eq!(rpc_kind(e).1, "not_found");
    let _ = b
        .http
        .call_json(
            "transfers.reject",
            json!({"offer_id": received["offer_id"]}),
        )
        .await;
    let e = call!(b, "transfers.cancel", json!({"offer_id": 4242})).unwrap_err();
    assert_eq!(rpc_kind(e).1, "not_found");

    let history = call!(b, "transfers.history", json!({"limit": 10})).unwrap();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["direction"] == "receive" && r["status"] == "complete")
    );
    assert_eq!(call!(a, "transfers.outbox", json!({})).unwrap(), json!([]));

    // Collections: A creates and invites; B accepts; both see the file.
    let family = dirs[0].path().join("Family");
    std::fs::create_dir(&family).unwrap();
    write_file(&family.join("recipes.md"), b"# Recipes\n");
    let created = call!(
        a,
        "collections.create",
        json!({"name": "Family", "dir": family})
    )
    .unwrap();
    assert_eq!(created["name"], "Family");
    assert_eq!(
        call!(a, "collections.list", json!({})).unwrap()[0]["name"],
        "Family"
    );
    call!(a, "collections.sync", json!({"name": "Family"})).unwrap();
    assert_eq!(
        call!(
            a,
            "collections.invite",
            json!({"name": "Family", "device": "Pixel 9"})
        )
        .unwrap(),
        false,
        "it waits for accept"
    );
    next_event(&mut b_events, "collection_invited").await;
    let invites = call!(b, "collections.invites", json!({})).unwrap();
    assert_eq!(invites[0]["name"], "Family");
    let mirror = dirs[1].path().join("Family");
    call!(
        b,
        "collections.accept",
        json!({"name": "Family", "dir": mirror})
    )
    .unwrap();
    let files = call!(a, "collections.files", json!({"name": "Family"})).unwrap();
    assert_eq!(files[0]["path"], "recipes.md");
    let versions = call!(
        a,
        "collections.history",
        json!({"name": "Family", "path": "recipes.md"})
    )
    .unwrap();
    assert_eq!(versions[0]["current"], true);
    let status = call!(a, "collections.status", json!({"name": "Family"})).unwrap();
    assert_eq!(status["members"].as_array().unwrap().len(), 2);
    let copy = dirs[0].path().join("copy.md");
    let fetching = call!(
        a,
        "collections.fetch",
        json!({"name": "Family", "path": "recipes.md", "out": copy})
    )
    .unwrap();
    let size = operation_end(&mut a_events, &fetching["operation"])
        .await
        .unwrap();
    assert_eq!(size, 10);
    let fetching = a
        .http
        .call_json(
            "collections.fetch",
            json!({"name": "Family", "path": "nope.md", "out": copy}),
        )
        .await
        .unwrap();
    let error = operation_end(&mut a_events, &fetching["operation"])
        .await
        .unwrap_err();
    assert!(
        error["message"].as_str().unwrap().contains("no such file"),
        "{error}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), b"# Recipes\n");
    let restored = call!(
        a,
        "collections.restore",
        json!({"name": "Family", "path": "recipes.md", "version": 1})
    )
    .unwrap();
    assert_eq!(restored["current"], true);
    call!(
        a,
        "collections.pin",
        json!({"name": "Family", "path": "recipes.md", "on": true})
    )
    .unwrap();
    let keep = json!({"days": 7, "max_percent": null, "max_bytes": 1_000_000_000u64});
    let set = call!(
        a,
        "collections.set_keep",
        json!({"name": "Family", "keep": keep})
    )
    .unwrap();
    assert_eq!(set, keep);
    let status = call!(a, "collections.status", json!({"name": "Family"})).unwrap();
    assert_eq!(status["keep"], keep);
    let refused = call!(
        a,
        "collections.set_keep",
        json!({"name": "Family", "keep": {"days": 7, "max_percent": 250}})
    )
    .unwrap_err();
    assert!(
        refused.to_string().contains("1 to 100 percent"),
        "{refused}"
    );
    let unreached = call!(
        a,
        "collections.remove_member",
        json!({"name": "Family", "device": "Pixel 9"})
    )
    .unwrap();
    assert_eq!(unreached, json!([]), "the removed member was online");
    call!(b, "collections.leave", json!({"name": "Family"})).unwrap();

    let removed = call!(a, "devices.remove", json!({"device": "Pixel 9"})).unwrap();
    assert_eq!(removed["name"], "Pixel 9");
    assert_eq!(call!(a, "devices.list", json!({})).unwrap(), json!([]));

    // Discovery lists exactly the methods this test called.
    let doc = a.http.call_json("rpc.discover", json!({})).await.unwrap();
    let listed: BTreeSet<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed, called,
        "rpc.discover and this test disagree on the methods"
    );

    b.stop().await;
    // The stream ends when its server stops.
    a.server.stop().await;
    let ended =
        tokio::time::timeout(TIMEOUT, async { while a_events.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the event stream ended with the server");
    a.node.shutdown().await;
}

/// Whether `node` can fetch what `ticket` offers now.
async fn offered(node: &Node, ticket: &Value) -> bool {
    let ticket: ferry_core::AnyTicket = ticket.as_str().unwrap().parse().unwrap();
    node.transfers().offer(&ticket).await.is_ok()
}

/// Waits until `ticket` is refused to `node`; false if it never is.
async fn no_longer_offered(node: &Node, ticket: &Value) -> bool {
    tokio::time::timeout(TIMEOUT, async {
        while offered(node, ticket).await {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_share_made_for_an_event_stream_ends_with_it() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = serve(dirs[0].path(), "Studio").await;
    let fetcher = loopback_node(dirs[1].path(), "Fetcher").await;
    let file = dirs[0].path().join("minutes.txt");
    write_file(&file, &random_bytes(50_000, 11));
    let share = |stream: Option<u64>| {
        a.http
            .call_json("shares.create", json!({"paths": [file], "stream": stream}))
    };

    // A reader that goes away without a word (a killed process): the
    // server notices the closed stream and stops its share by itself.
    let stream = a.http.events().await.unwrap();
    let first = stream.id().expect("the stream's id header");
    let held = share(Some(first)).await.unwrap();
    assert!(offered(&fetcher, &held["ticket"]).await);
    drop(stream);
    assert!(
        no_longer_offered(&fetcher, &held["ticket"]).await,
        "the share outlived its event stream"
    );
    let e = share(Some(first)).await.unwrap_err();
    assert_eq!(
        rpc_kind(e),
        (-32001, "invalid_input".into()),
        "a closed stream"
    );
    let e = share(Some(999_999)).await.unwrap_err();
    assert_eq!(rpc_kind(e).1, "invalid_input", "a stream that never was");

    // The same content shared for a stream and publicly: each share ends
    // on its own, and a stream stops only what it holds.
    let stream = a.http.events().await.unwrap();
    let second = stream.id().unwrap();
    assert_ne!(second, first);
    let held = share(Some(second)).await.unwrap();
    let public = share(None).await.unwrap();
    assert_eq!(held["root"], public["root"]);
    let stop = |stream: Option<u64>| {
        a.http.call_json(
            "shares.stop",
            json!({"root": held["root"], "stream": stream}),
        )
    };
    stop(Some(second)).await.unwrap();
    assert!(
        offered(&fetcher, &public["ticket"]).await,
        "the public share still serves"
    );
    let e = stop(Some(second)).await.unwrap_err();
    assert_eq!(rpc_kind(e).1, "not_found", "the stream holds it no more");
    drop(stream);
    stop(None).await.unwrap();
    assert!(!offered(&fetcher, &public["ticket"]).await);

    // Stopped without naming its stream, a stream's share ends, and the
    // stream lets go of it: closing the stream later does not end a share
    // of the same content made in between.
    let stream = a.http.events().await.unwrap();
    let stream_id = stream.id().expect("the stream's id header");
    let held = share(Some(stream_id)).await.unwrap();
    a.http
        .call_json("shares.stop", json!({"root": held["root"]}))
        .await
        .unwrap();
    assert!(!offered(&fetcher, &held["ticket"]).await);
    let later = share(None).await.unwrap();
    drop(stream);
    // The server has seen the stream closed (at the latest on its
    // keep-alive) once it no longer ties a share to it; the probe is other
    // content, so it holds nothing of `later`.
    let probe = dirs[0].path().join("probe.txt");
    write_file(&probe, b"probe");
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let tied = a
                .http
                .call_json(
                    "shares.create",
                    json!({"paths": [probe], "stream": stream_id}),
                )
                .await;
            match tied {
                Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => {
                    let message = e.to_string();
                    assert_eq!(rpc_kind(e).1, "invalid_input");
                    break assert!(message.contains("no event stream"), "{message}");
                }
            }
        }
    })
    .await
    .expect("the server notices the closed stream");
    assert!(
        offered(&fetcher, &later["ticket"]).await,
        "a later share ended with the stream"
    );

    fetcher.shutdown().await;
    a.stop().await;
}

/// A fresh folder with two data dirs, "Studio" and "Pixel 9", paired with
/// `ferry pair`; with `auto_accept`, the phone takes the studio's pushes
/// without asking.
async fn studio_and_phone(auto_accept: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let (studio, phone) = (root.path().join("studio"), root.path().join("phone"));
    ferry_tests::pair_dirs((&studio, "Studio"), (&phone, "Pixel 9"), auto_accept)
        .await
        .unwrap();
    (root, studio, phone)
}

/// The documented example: a Python script (standard library only) that
/// saves what one phone sends into a folder when it is only photos, next
/// to a running `ferry listen`.
#[tokio::test]
async fn the_python_example_saves_photos_from_one_phone() {
    use ferry_tests::{Running, ferry, run};
    use tokio::io::AsyncBufReadExt;

    let (root, studio, phone) = studio_and_phone(false).await;
    let inbox = root.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let mut listen = ferry(&studio);
    listen
        .args(["listen", "--accept", "never", "--out"])
        .arg(&inbox);
    let mut listen = Running::spawn(listen);
    let listening = listen.next("listening").await;
    assert!(
        listening["api_http"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    let photos = root.path().join("Phone photos");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/api/save_photos.py");
    let mut saver = tokio::process::Command::new("python3")
        .arg(&script)
        .args(["--phone", "pixel", "--once", "--data-dir"])
        .arg(&studio)
        .arg("--into")
        .arg(&photos)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs the example");
    let mut lines = tokio::io::BufReader::new(saver.stdout.take().unwrap()).lines();
    let mut next_line = async || {
        tokio::time::timeout(TIMEOUT, lines.next_line())
            .await
            .expect("the example said nothing in time")
            .unwrap()
            .expect("the example ended early")
    };
    assert!(
        next_line()
            .await
            .starts_with("Saving photos from Pixel 9 into")
    );

    // Not only photos: left waiting for the user, who rejects it.
    let api = ApiClient::for_data_dir(&studio).unwrap();
    let notes = root.path().join("notes.txt");
    write_file(&notes, b"not a photo");
    let mut push = ferry(&phone);
    push.args(["push", "Studio"]).arg(&notes);
    let mut other = Running::spawn(push);
    assert!(next_line().await.contains("left for you"));
    let waiting = api.call_json("transfers.list", json!({})).await.unwrap();
    assert_eq!(waiting["offers"][0]["names"], json!(["notes.txt"]));
    api.call_json(
        "transfers.reject",
        json!({"offer_id": waiting["offers"][0]["offer_id"]}),
    )
    .await
    .unwrap();
    assert!(!other.success().await, "the rejected push fails");

    // Photos only: accepted into the folder, byte for byte.
    let (a, b) = (
        root.path().join("IMG_0001.jpg"),
        root.path().join("IMG_0002.PNG"),
    );
    write_file(&a, &random_bytes(150_000, 1));
    write_file(&b, &random_bytes(90_000, 2));
    let mut push = ferry(&phone);
    push.args(["push", "Studio"]).arg(&a).arg(&b);
    let pushed = run(push).await.unwrap();
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(next_line().await.starts_with("Receiving 2 photo(s)"));
    assert!(next_line().await.starts_with("Saved 2 photo(s)"));
    let status = tokio::time::timeout(TIMEOUT, saver.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read(photos.join("IMG_0001.jpg")).unwrap(),
        std::fs::read(&a).unwrap()
    );
    assert_eq!(
        std::fs::read(photos.join("IMG_0002.PNG")).unwrap(),
        std::fs::read(&b).unwrap()
    );
    assert!(
        !inbox.join("IMG_0001.jpg").exists(),
        "not in the download folder"
    );
    listen.stop().await;
}

/// Commands on a data dir that a running node owns go through its API,
/// with the same output as when they open the data dir themselves.
#[tokio::test]
async fn cli_commands_go_through_the_running_node() {
    use ferry_tests::{Running, ferry, run};

    let (root, studio, phone) = studio_and_phone(false).await;
    let cli = |args: &[&str]| {
        let mut cmd = ferry(&studio);
        cmd.args(args);
        run(cmd)
    };
    // Something in the history: a share received from the phone.
    let file = root.path().join("scan.pdf");
    write_file(&file, &random_bytes(40_000, 3));
    // The phone shares the file: its running `ferry send` and the ticket.
    let phone_sends = async || {
        let mut send = ferry(&phone);
        send.arg("send").arg(&file);
        let mut sending = Running::spawn(send);
        let ticket = sending.next("ticket").await["ticket"]
            .as_str()
            .unwrap()
            .to_string();
        (sending, ticket)
    };
    let (sending, ticket) = phone_sends().await;
    let got = root.path().join("got");
    let received = cli(&["receive", &ticket, "--out", got.to_str().unwrap()])
        .await
        .unwrap();
    assert_eq!(received.code, 0, "{}", received.stderr);
    sending.stop().await;

    let alone_devices = cli(&["devices"]).await.unwrap();
    let alone_history = cli(&["history"]).await.unwrap();
    let alone_missing = cli(&["devices", "remove", "nobody"]).await.unwrap();
    assert_eq!(alone_devices.code, 0, "{}", alone_devices.stderr);
    assert_eq!(alone_history.events.len(), 1);
    assert_eq!(alone_missing.code, 2);

    let listen = listening(&studio, &["--accept", "never"]).await;

    let routed_devices = cli(&["devices"]).await.unwrap();
    assert_eq!(routed_devices.code, 0, "{}", routed_devices.stderr);
    assert_eq!(routed_devices.events, alone_devices.events);
    let routed_history = cli(&["history"]).await.unwrap();
    assert_eq!(routed_history.code, 0, "{}", routed_history.stderr);
    assert_eq!(routed_history.events, alone_history.events);
    let routed_missing = cli(&["devices", "remove", "nobody"]).await.unwrap();
    assert_eq!(routed_missing.code, 2, "the same exit code");
    assert_eq!(
        routed_missing.stderr, alone_missing.stderr,
        "the same message"
    );

    // Receiving: the running node fetches, the command shows the same.
    let (sending, ticket) = phone_sends().await;
    let got2 = root.path().join("got2");
    let routed_receive = cli(&["receive", &ticket, "--out", got2.to_str().unwrap()])
        .await
        .unwrap();
    assert_eq!(routed_receive.code, 0, "{}", routed_receive.stderr);
    assert_eq!(
        std::fs::read(got2.join("scan.pdf")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    let offer = |o: &ferry_tests::Output| o.event("offer").cloned().unwrap();
    assert_eq!(
        offer(&routed_receive),
        offer(&received),
        "the same offer, shown the same way"
    );
    let done = routed_receive.event("done").unwrap();
    assert_eq!(
        (done["files"].as_u64(), done["bytes"].as_u64()),
        (Some(1), Some(40_000))
    );
    assert_eq!(done["out"], json!(got2));
    assert_eq!(done["path"], received.event("done").unwrap()["path"]);
    sending.stop().await;

    // A change made this way is the running node's.
    let renamed = cli(&["devices", "rename", "pixel", "Pixel 9 Pro"])
        .await
        .unwrap();
    assert_eq!(renamed.code, 0, "{}", renamed.stderr);
    assert_eq!(renamed.events[0]["name"], "Pixel 9 Pro");
    let api = ApiClient::for_data_dir(&studio).unwrap();
    let listed = api.call_json("devices.list", json!({})).await.unwrap();
    assert_eq!(listed[0]["name"], "Pixel 9 Pro");

    // Collections too, with a relative folder meant from here.
    let mut create = ferry(&studio);
    create
        .current_dir(root.path())
        .args(["collection", "create", "Notes", "--dir", "notes"]);
    let created = run(create).await.unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(created.events[0]["dir"], json!(root.path().join("notes")));
    let routed_list = cli(&["collection", "list"]).await.unwrap();
    assert_eq!(routed_list.events[0]["name"], "Notes");
    let status = cli(&["collection", "status", "Notes"]).await.unwrap();
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(status.events[0]["members"][0]["this_device"], true);
    // A fetch runs as an operation there; the command waits for its end.
    write_file(&root.path().join("notes/todo.md"), b"- call home\n");
    api.call_json("collections.sync", json!({"name": "Notes"}))
        .await
        .unwrap();
    // The sync starts a scan; the file is the collection's once imported.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let files = api
            .call_json("collections.files", json!({"name": "Notes"}))
            .await
            .unwrap();
        if files
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "todo.md")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "todo.md never imported"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let copy = root.path().join("todo copy.md");
    let copy_arg = copy.to_str().unwrap();
    let fetched = cli(&["collection", "fetch", "Notes", "todo.md", "--out", copy_arg])
        .await
        .unwrap();
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    assert_eq!(fetched.events[0]["bytes"], 12);
    assert_eq!(std::fs::read(&copy).unwrap(), b"- call home\n");
    let missing = ["collection", "fetch", "Notes", "nope.md", "--out", copy_arg];
    let routed_missing_fetch = cli(&missing).await.unwrap();
    let routed_list = cli(&["collection", "list"]).await.unwrap();

    // Pairing: the running node shows the code that `ferry pair` prints.
    let laptop = root.path().join("laptop");
    let mut show = ferry(&studio);
    show.args(["pair", "--timeout", "60"]);
    let mut showing = Running::spawn(show);
    let ticket = showing.next("pair-ticket").await["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    let mut join = ferry(&laptop);
    join.args(["--name", "Laptop", "pair", &ticket]);
    let joined = run(join).await.unwrap();
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    assert_eq!(showing.next("paired").await["device"]["name"], "Laptop");
    assert!(showing.success().await);
    let listed = api.call_json("devices.list", json!({})).await.unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "Laptop")
    );
    listen.stop().await;

    let alone_list = cli(&["collection", "list"]).await.unwrap();
    assert_eq!(alone_list.events, routed_list.events);
    let alone_missing_fetch = cli(&missing).await.unwrap();
    assert_eq!(
        (routed_missing_fetch.code, &routed_missing_fetch.stderr),
        (alone_missing_fetch.code, &alone_missing_fetch.stderr)
    );
    assert_ne!(alone_missing_fetch.code, 0);
}

/// A `ferry` process running in a data dir, once it says it listens.
async fn listening(dir: &Path, args: &[&str]) -> ferry_tests::Running {
    let mut cmd = ferry_tests::ferry(dir);
    cmd.arg("listen").args(args);
    let mut running = ferry_tests::Running::spawn(cmd);
    running.next("listening").await;
    running
}

/// The files in a folder, by name, with their bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

/// What `ferry send --once` printed while one fetcher took the file.
async fn send_once(mut sending: ferry_tests::Running, fetcher: &Node, into: &Path) -> Vec<Value> {
    let mut printed = vec![sending.next("ticket").await];
    let ticket: ferry_core::AnyTicket = printed[0]["ticket"].as_str().unwrap().parse().unwrap();
    let offer = fetcher.transfers().offer(&ticket).await.unwrap();
    fetcher.transfers().receive(offer, into).await.unwrap();
    printed.push(sending.next("downloaded").await);
    printed.push(sending.next("stopped").await);
    assert!(sending.success().await);
    printed
}

#[tokio::test]
async fn send_and_push_go_through_the_running_node() {
    use ferry_tests::{Output, Running, ferry, run};

    let (root, studio, phone) = studio_and_phone(true).await;
    let file = root.path().join("plan.pdf");
    let data = random_bytes(120_000, 5);
    write_file(&file, &data);
    let inbox = root.path().join("inbox");
    let inbox_arg = inbox.to_str().unwrap();
    let push = |extra: &[&str]| {
        let mut cmd = ferry(&studio);
        cmd.args(["push", "pixel"]).arg(&file).args(extra);
        run(cmd)
    };
    // What a push printed, without its progress lines (their number
    // depends on timing).
    let steps = |o: &Output| -> Vec<Value> {
        o.events
            .iter()
            .filter(|e| e["event"] != "progress")
            .map(|e| {
                let mut e = e.clone();
                // Bytes that crossed the network depend on what the phone
                // already has.
                if let Some(e) = e.as_object_mut() {
                    e.remove("bytes_transferred");
                }
                e
            })
            .collect()
    };

    let send = |extra: &[&str]| {
        let mut cmd = ferry(&studio);
        cmd.arg("send").arg(&file).args(extra);
        Running::spawn(cmd)
    };
    // The tickets name the node's addresses of the moment: left out.
    let without_tickets = |printed: &[Value]| -> Vec<Value> {
        let mut printed = printed.to_vec();
        for line in &mut printed {
            let line = line.as_object_mut().unwrap();
            line.remove("ticket");
            line.remove("blob_ticket");
        }
        printed
    };

    // Alone: the command's own node shares, then pushes: accepted, then
    // rejected.
    let fetcher = loopback_node(&root.path().join("fetcher"), "Fetcher").await;
    let alone_send = send_once(send(&["--once"]), &fetcher, &root.path().join("got-alone")).await;
    let mut phone_node = listening(&phone, &["--accept", "trusted", "--out", inbox_arg]).await;
    let alone = push(&[]).await.unwrap();
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    phone_node.next("done").await;
    phone_node.stop().await;
    let mut phone_node = listening(&phone, &["--accept", "never", "--out", inbox_arg]).await;
    let alone_rejected = push(&[]).await.unwrap();
    assert_eq!(alone_rejected.code, 1, "{}", alone_rejected.stderr);
    phone_node.next("rejected").await;
    phone_node.stop().await;

    // The studio's node runs: the same pushes go through it, with the same
    // output and exit codes.
    // `--api` picks the address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let studio_inbox = root.path().join("studio-inbox");
    let listen = listening(
        &studio,
        &[
            "--accept",
            "never",
            "--out",
            studio_inbox.to_str().unwrap(),
            "--api",
            &address,
        ],
    )
    .await;
    let api = ApiClient::for_data_dir(&studio).unwrap();
    let token = std::fs::read_to_string(studio.join("api-token")).unwrap();
    let over_http = ApiClient::http(address.parse().unwrap(), token.trim());
    let info = over_http.call_json("node.info", json!({})).await.unwrap();
    assert_eq!(info["api_http"], address.as_str());
    let mut phone_node = listening(&phone, &["--accept", "trusted", "--out", inbox_arg]).await;
    let routed = push(&[]).await.unwrap();
    assert_eq!(routed.code, 0, "{}", routed.stderr);
    assert_eq!(steps(&routed), steps(&alone));
    phone_node.next("done").await;
    // The same file again is already there: it is kept once.
    let arrived = vec![("plan.pdf".to_string(), data.clone())];
    assert_eq!(contents(&inbox), arrived);
    phone_node.stop().await;
    let mut phone_node = listening(&phone, &["--accept", "never", "--out", inbox_arg]).await;
    let routed_rejected = push(&[]).await.unwrap();
    assert_eq!(routed_rejected.code, 1, "{}", routed_rejected.stderr);
    assert_eq!(routed_rejected.events, alone_rejected.events);
    assert_eq!(routed_rejected.stderr, alone_rejected.stderr);
    assert!(routed_rejected.event("rejected").unwrap()["reason"].is_string());
    phone_node.next("rejected").await;
    phone_node.stop().await;

    // The phone is off: the push waits in the running node's outbox, and
    // the running node delivers it when the phone comes back.
    let queued = push(&["--no-wait"]).await.unwrap();
    assert_eq!(queued.code, 0, "{}", queued.stderr);
    let entry = queued.event("queued").unwrap().clone();
    assert_eq!(entry["device"]["name"], "Pixel 9");
    assert!(entry["reason"].is_string());
    let outbox = api.call_json("transfers.outbox", json!({})).await.unwrap();
    assert_eq!(outbox[0]["id"], entry["outbox_id"]);
    let mut cmd = ferry(&studio);
    cmd.args(["push", "pixel", "--text", "see you at 8"]);
    let mut waiting = Running::spawn(cmd);
    let waits = waiting.next("queued").await;
    assert_ne!(waits["outbox_id"], entry["outbox_id"]);
    let mut phone_node = listening(&phone, &["--accept", "trusted", "--out", inbox_arg]).await;
    let done = waiting.next("done").await;
    assert_eq!(done["files"], 0);
    assert!(
        waiting.success().await,
        "the waiting push ends once delivered"
    );
    // The phone got both: the file queued first, then the text.
    let (mut file_done, mut text) = (false, None);
    while !(file_done && text.is_some()) {
        let event = phone_node.next_any().await;
        match event["event"].as_str() {
            Some("done") if event["files"] == 1 => file_done = true,
            Some("text") => text = Some(event["text"].clone()),
            _ => {}
        }
    }
    assert_eq!(text.unwrap(), "see you at 8");
    assert_eq!(contents(&inbox), arrived);
    assert_eq!(
        api.call_json("transfers.outbox", json!({})).await.unwrap(),
        json!([])
    );
    phone_node.stop().await;

    // Sharing: the running node serves the share while the command runs,
    // and the command prints the same.
    let got = root.path().join("got");
    let routed_send = send_once(send(&["--once"]), &fetcher, &got).await;
    let shared = routed_send[0].clone();
    let ticket: ferry_core::AnyTicket = shared["ticket"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        ticket.addr().id.to_string(),
        info["id"].as_str().unwrap(),
        "served by the running node"
    );
    assert_eq!(without_tickets(&routed_send), without_tickets(&alone_send));
    assert_eq!(routed_send[2]["reason"], "once");
    assert_eq!(std::fs::read(got.join("plan.pdf")).unwrap(), data);
    // --once ended it, and so the share.
    assert!(
        !offered(&fetcher, &shared["ticket"]).await,
        "stopped with the command"
    );
    // Ctrl-C stops it.
    let mut sending = send(&[]);
    let shared = sending.next("ticket").await;
    assert!(offered(&fetcher, &shared["ticket"]).await);
    assert!(sending.interrupt().await);
    assert_eq!(sending.next("stopped").await["reason"], "interrupted");
    assert!(!offered(&fetcher, &shared["ticket"]).await);
    // Killed, it cannot say so: the running node notices and stops it.
    let mut sending = send(&[]);
    let shared = sending.next("ticket").await;
    assert!(offered(&fetcher, &shared["ticket"]).await);
    sending.stop().await;
    assert!(
        no_longer_offered(&fetcher, &shared["ticket"]).await,
        "the killed command's share is still served"
    );

    fetcher.shutdown().await;
    // Stopped cleanly, the node takes its API files with it.
    let mut listen = listen;
    assert!(listen.interrupt().await);
    assert!(!studio.join("api.json").exists() && !studio.join("api.sock").exists());

    // `--no-api`: nobody drives that node, and the others say so.
    let listen = listening(&studio, &["--accept", "never", "--no-api"]).await;
    let mut cmd = ferry(&studio);
    cmd.arg("devices");
    let refused = run(cmd).await.unwrap();
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("in use"), "{}", refused.stderr);
    listen.stop().await;
}

// ---- a hostile local user ---------------------------------------------------

/// Sends one raw HTTP/1.1 request with the Host header given (none for
/// None) and returns the status and the body.
async fn raw_request<S>(mut stream: S, host: Option<&str>, token: Option<&str>) -> (u16, String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = r#"{"jsonrpc": "2.0", "id": 1, "method": "node.info"}"#;
    let mut head = String::from("POST /rpc HTTP/1.1\r\n");
    if let Some(host) = host {
        head.push_str(&format!("Host: {host}\r\n"));
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn only_requests_for_a_loopback_host_are_answered_over_tcp() {
    // Given a served node and its token.
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let addr = a.server.endpoint().http.unwrap();
    let token = a.server.token().to_string();
    let tcp = || async { tokio::net::TcpStream::connect(addr).await.unwrap() };

    // When a page that rebound its own name to 127.0.0.1 calls with the
    // token (or without), or a request names no host or two hosts,
    // Then it is refused before anything else, and says nothing of the node.
    let port = addr.port();
    for host in [
        Some(format!("evil.example:{port}")),
        Some("evil.example".into()),
        Some(format!("localhost.evil.example:{port}")),
        Some(format!("127.0.0.1.nip.io:{port}")),
        None,
    ] {
        let (status, body) = raw_request(tcp().await, host.as_deref(), Some(&token)).await;
        assert_eq!(status, 403, "Host {host:?}: {body}");
        assert!(!body.contains("Studio"), "{body}");
        let (status, _) = raw_request(tcp().await, host.as_deref(), None).await;
        assert_eq!(status, 403, "Host {host:?} without the token");
    }
    let two_hosts = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tcp().await;
        s.write_all(
            format!(
                "GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\
                 Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.unwrap();
        String::from_utf8_lossy(&head).into_owned()
    };
    assert!(two_hosts.ends_with("403"), "{two_hosts}");

    // When the host is a loopback one, Then the call is answered.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".into(),
        format!("[::1]:{port}"),
    ] {
        let (status, body) = raw_request(tcp().await, Some(&host), Some(&token)).await;
        assert_eq!(status, 200, "Host {host}: {body}");
        assert!(body.contains("Studio"), "{body}");
    }
    // And over the socket, which only this user can open, any host goes.
    #[cfg(unix)]
    {
        let socket = a.server.endpoint().socket.clone().unwrap();
        let unix = tokio::net::UnixStream::connect(&socket).await.unwrap();
        let (status, _) = raw_request(unix, Some("evil.example"), Some(&token)).await;
        assert_eq!(status, 200);
    }
    a.stop().await;
}

#[tokio::test]
async fn without_the_token_nothing_is_said_about_the_node() {
    // Given a served node.
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let addr = a.server.endpoint().http.unwrap();
    let data_dir = dir.path().to_string_lossy().into_owned();
    let id = a.node.id().to_string();

    // When a request comes without the token, or with a wrong one,
    for token in [None, Some("0".repeat(64))] {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (status, body) = raw_request(stream, Some("127.0.0.1"), token.as_deref()).await;
        // Then it is refused with a message that names no path, name or id.
        assert_eq!(status, 401);
        assert!(body.contains("Bearer"), "says what to send: {body}");
        for secret in [data_dir.as_str(), "Studio", &id[..16], "/"] {
            assert!(!body.contains(secret), "{secret:?} in {body}");
        }
    }
    a.stop().await;
}

#[tokio::test]
async fn a_root_that_is_not_a_hash_is_invalid_params() {
    // Given a served node that serves a share.
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let share = a
        .http
        .call_json("shares.create", json!({"text": "hello"}))
        .await
        .unwrap();
    let root = share["root"].as_str().unwrap().to_string();

    // When shares.stop gets roots of every wrong shape (lengths that
    // iroh-blobs' parser panics on among them),
    let wrong = [
        String::new(),
        "abc".into(),
        root[..63].to_string(),
        format!("{root}0"),
        format!("{}zz", &root[..62]),
        "A".repeat(40),
        "A".repeat(56),
        "A".repeat(60),
        "A".repeat(100),
        "é".repeat(32),
        "%".repeat(52),
    ];
    for bad in &wrong {
        let e = a
            .http
            .call_json("shares.stop", json!({"root": bad}))
            .await
            .unwrap_err();
        // Then each is answered -32602, invalid params.
        let message = e.to_string();
        let (code, _) = rpc_kind(e);
        assert_eq!(code, -32602, "{bad:?}: {message}");
        assert!(message.contains("not a content hash"), "{message}");
    }
    // And the share still runs until stopped by its real root.
    assert_eq!(a.node.shares().count(&root.parse().unwrap()), 1);
    a.http
        .call_json("shares.stop", json!({"root": root.to_uppercase()}))
        .await
        .unwrap();
    assert_eq!(a.node.shares().count(&root.parse().unwrap()), 0);
    a.stop().await;
}

#[tokio::test]
async fn the_api_refuses_addresses_other_machines_can_reach() {
    // Given a node.
    let dir = tempfile::tempdir().unwrap();
    let node = loopback_node(&dir.path().join("node"), "Studio").await;

    // When its API is asked to serve on a non-loopback address, Then it
    // refuses as bad input and binds nothing.
    for addr in [
        "0.0.0.0:0",
        "[::]:0",
        "10.1.2.3:4510",
        "[::ffff:10.1.2.3]:4510",
    ] {
        let config = ApiConfig {
            http: Some(addr.parse().unwrap()),
            ..ApiConfig::default()
        };
        let e = ApiServer::start(&node, config).await.unwrap_err();
        assert_eq!(e.kind(), ferry_core::ErrorKind::InvalidInput, "{addr}");
        assert!(e.to_string().contains("loopback"), "{e}");
    }
    assert!(!dir.path().join("node/api.json").exists());
    node.shutdown().await;

    // And `ferry listen --api` with one exits 2 (bad usage) with the reason.
    for addr in ["0.0.0.0:4510", "[::]:0", "192.0.2.7:4510"] {
        let mut cmd = ferry_tests::ferry(&dir.path().join("cli"));
        cmd.args(["listen", "--accept", "never", "--api", addr]);
        let out = tokio::time::timeout(TIMEOUT, cmd.output())
            .await
            .expect("listen exits at once")
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{addr}: {stderr}");
        assert!(stderr.contains("loopback"), "{stderr}");
    }
}

#[tokio::test]
async fn connections_that_never_finish_a_request_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Given a served node with room for many more connections.
    let dir = tempfile::tempdir().unwrap();
    let a = serve(dir.path(), "Studio").await;
    let addr = a.server.endpoint().http.unwrap();

    // When one connection sends nothing, one sends headers a byte at a
    // time without end, and one is kept alive after its answer,
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"jsonrpc": "2.0", "id": 1, "method": "node.info"}"#;
    kept.write_all(
        format!(
            "POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            a.server.token(),
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Ends when the server has closed the connection.
    let trickle = async {
        for byte in b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: "
            .iter()
            .chain(std::iter::repeat(&b'a'))
        {
            if slow.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    // EOF or a reset: either way the server let go.
    async fn until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = stream.read_to_end(&mut all).await;
        all
    }

    // Then the server closes each of them by itself (the kept-alive one
    // after answering).
    tokio::time::timeout(TIMEOUT, async {
        let ((), idle_got, kept_got) =
            tokio::join!(trickle, until_closed(&mut idle), until_closed(&mut kept));
        assert!(idle_got.is_empty(), "nothing was asked, nothing said");
        assert!(
            String::from_utf8_lossy(&kept_got).starts_with("HTTP/1.1 200"),
            "the kept-alive connection got its answer first"
        );
    })
    .await
    .expect("the server closes connections that never finish a request");
    a.stop().await;
}

/// Connections another local user holds against the API: `idle` ones that
/// send nothing, `slow` ones that send a request's headers a byte at a
/// time and never finish. Each reconnects when the server closes it, until
/// `stop` says true. `tried` counts connection attempts. The attack runs
/// on a thread and runtime of its own, as another process would.
fn flood(
    addr: std::net::SocketAddr,
    idle: usize,
    slow: usize,
    stop: tokio::sync::watch::Receiver<bool>,
    tried: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..idle + slow {
                set.spawn(hold(addr, i >= idle, stop.clone(), tried.clone()));
            }
            while set.join_next().await.is_some() {}
        });
    })
}

/// One connection of [`flood`], reopened whenever the server closes it.
async fn hold(
    addr: std::net::SocketAddr,
    is_slow: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
    tried: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    while !*stop.borrow() {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let connect = tokio::net::TcpStream::connect(addr);
        let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(3), connect).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let head = b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: ";
        let mut sent = 0;
        let mut buf = [0u8; 512];
        loop {
            let next_byte = async {
                if is_slow {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = stop.changed() => return,
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                },
                _ = next_byte => {
                    let byte = head.get(sent).copied().unwrap_or(b'a');
                    sent += 1;
                    if stream.write_all(&[byte]).await.is_err() {
                        break;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Another local user holds thousands of idle connections and thousands
/// of slowloris ones against a running `ferry listen` whose process has
/// the 1024 file descriptors a desktop session gives by default: the token
/// holder is still answered, over HTTP and over the socket.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_holder_is_answered_while_thousands_of_connections_are_held() {
    use rustix::process::{Resource, Rlimit, getrlimit, prlimit, setrlimit};
    use std::sync::{Arc, atomic::AtomicUsize, atomic::Ordering};

    // Given this test may open thousands of sockets,
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(1 << 20).min(1 << 20);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(hard),
            maximum: limit.maximum,
        },
    )
    .unwrap();
    let total = usize::try_from(hard.saturating_sub(1024))
        .unwrap_or(usize::MAX)
        .min(4000);
    assert!(
        total >= 2048,
        "the hard limit of open files ({hard}) leaves too few for the test"
    );
    // and `ferry listen` runs with 1024 open files at most,
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("studio");
    let mut listen = listening(&data, &["--accept", "never"]).await;
    let pid = rustix::process::Pid::from_raw(listen.child.id().unwrap() as i32).unwrap();
    prlimit(
        Some(pid),
        Resource::Nofile,
        Rlimit {
            current: Some(1024),
            maximum: Some(1024),
        },
    )
    .unwrap();
    let http = {
        let endpoint = ferry_core::api::ApiEndpoint::read(&data).unwrap();
        let token = ferry_core::api::read_token(&data).unwrap();
        ApiClient::http(endpoint.http.unwrap(), token)
    };
    let socket = ApiClient::for_data_dir(&data).unwrap();
    let addr = ferry_core::api::ApiEndpoint::read(&data)
        .unwrap()
        .http
        .unwrap();

    // When another user opens half that many idle connections and half
    // that many slowloris ones, and reopens each the server closes,
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tried = Arc::new(AtomicUsize::new(0));
    let attack = flood(addr, total / 2, total / 2, stopped, tried.clone());
    tokio::time::timeout(TIMEOUT, async {
        while tried.load(Ordering::Relaxed) < total {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("every attacking connection was tried");
    // and the server holds as many connections as it serves at once,
    let raw_pid = pid.as_raw_nonzero().get();
    let sockets = || {
        std::fs::read_dir(format!("/proc/{raw_pid}/fd")).map_or(0, |fds| {
            fds.filter_map(Result::ok)
                .filter(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|to| to.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
    };
    tokio::time::timeout(TIMEOUT, async {
        while sockets() < ferry_core::api::MAX_CONNECTIONS {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the attack fills the server's connections");

    // Then the token holder's calls are answered all along, over HTTP and
    // over the socket.
    for round in 0..10 {
        for (how, client) in [("HTTP", &http), ("socket", &socket)] {
            let info = tokio::time::timeout(TIMEOUT, client.call_json("node.info", json!({})))
                .await
                .unwrap_or_else(|_| panic!("round {round}: node.info over {how} got no answer"))
                .unwrap_or_else(|e| panic!("round {round}: node.info over {how} failed: {e}"));
            assert_eq!(info["api_http"], json!(addr.to_string()), "over {how}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    stop.send(true).unwrap();
    tokio::time::timeout(TIMEOUT, tokio::task::spawn_blocking(move || attack.join()))
        .await
        .expect("the attack stops")
        .unwrap()
        .unwrap();
    assert!(listen.interrupt().await, "ferry listen ends well");
}

/// The typed interface the CLI is written against answers the same on a
/// server (through `ApiClient`) and on this process's node (through
/// `LocalApi`, no server): results, error kinds, and the end of an
/// operation on the event stream.
#[tokio::test]
async fn the_typed_client_and_the_local_api_answer_alike() {
    use ferry_core::{
        ErrorKind,
        api::{
            Api, ApiEvent, LocalApi, StreamEvent, call,
            params::{CollectionParam, CreateCollection, DeviceParam, FetchFile, NoParams},
        },
    };

    let dir = tempfile::tempdir().unwrap();
    let a = serve(&dir.path().join("a"), "Studio").await;
    let local = LocalApi::new(a.node.clone());
    let folder = dir.path().join("photos");
    write_file(&folder.join("one.jpg"), &random_bytes(2_000, 1));

    let made = a
        .http
        .call(
            call::CollectionsCreate,
            CreateCollection {
                name: "photos".into(),
                dir: Some(folder.clone()),
            },
        )
        .await
        .expect("created through the server");
    assert_eq!((made.name.as_str(), made.files), ("photos", 1));

    // The same answers either way, as typed values.
    let info_remote = a
        .http
        .call(call::NodeInfo, NoParams::default())
        .await
        .unwrap();
    let info_local = local
        .call(call::NodeInfo, NoParams::default())
        .await
        .unwrap();
    assert_eq!(info_remote.id, info_local.id);
    assert!(
        info_remote.api_http.is_some(),
        "the server says where it listens"
    );
    assert_eq!(info_local.api_http, None, "the local API serves nothing");
    assert!(
        !info_local.lan_discovery,
        "a loopback node does not look around"
    );
    let files = |list: Vec<ferry_core::FileInfo>| -> Vec<String> {
        list.into_iter().map(|f| f.path).collect()
    };
    let name = || CollectionParam {
        name: "photos".into(),
    };
    assert_eq!(
        files(a.http.call(call::CollectionsFiles, name()).await.unwrap()),
        files(local.call(call::CollectionsFiles, name()).await.unwrap()),
    );
    assert_eq!(
        files(local.call(call::CollectionsFiles, name()).await.unwrap()),
        vec!["one.jpg".to_string()]
    );

    // The same error kind either way.
    let nobody = || DeviceParam {
        device: "nobody".into(),
    };
    for e in [
        a.http
            .call(call::DevicesRemove, nobody())
            .await
            .unwrap_err(),
        local.call(call::DevicesRemove, nobody()).await.unwrap_err(),
    ] {
        match e {
            ClientError::Rpc { kind, .. } => assert_eq!(kind, Some(ErrorKind::NotFound)),
            other => panic!("not a method error: {other}"),
        }
    }

    // An operation started on the local API ends on its own event stream.
    let mut events = local.events().await.unwrap();
    let out = dir.path().join("copy.jpg");
    let started = local
        .call(
            call::CollectionsFetch,
            FetchFile {
                name: "photos".into(),
                path: "one.jpg".into(),
                out: out.clone(),
            },
        )
        .await
        .unwrap();
    let result = tokio::time::timeout(TIMEOUT, async {
        loop {
            match events.next().await.expect("the stream goes on") {
                StreamEvent::Api(ApiEvent::OperationFinished {
                    operation, result, ..
                }) if operation == started.operation => return result,
                _ => {}
            }
        }
    })
    .await
    .expect("the fetch ends");
    assert_eq!(result, json!(2_000));
    assert_eq!(std::fs::read(&out).unwrap().len(), 2_000);
    drop(local);
    a.stop().await;
}
