package app.ferry.android.logic

import app.ferry.core.AcceptPolicy
import app.ferry.core.FerryException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import kotlin.test.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import kotlin.test.assertFailsWith
import kotlin.test.assertIs

/** The app's state holders against the real core: two apps in one JVM on loopback. */
class AppLogicTest {
    private val fx = Fixture()

    @AfterEach
    fun cleanUp(): Unit = runBlocking { fx.close() }

    /** Pairs two apps the way users do: one shows its code, the other scans it. */
    private suspend fun pair(shower: FerryApp, scanner: FerryApp) {
        shower.showCode.show(120)
        val showing = assertIs<ShowCodeState.Showing>(shower.showCode.state.value)
        scanner.scan.onScanned(showing.ticket)
        val paired = scanner.scan.state.awaitState { it is ScanState.Paired || it is ScanState.Failed }
        assertEquals(shower.settings.deviceName, assertIs<ScanState.Paired>(paired).deviceName)
        shower.showCode.state.awaitState { it is ShowCodeState.Paired }
        scanner.scan.reset()
    }

    @Test
    fun `sizes, progress and scanned codes read well`() {
        assertEquals("999 B", formatBytes(999))
        assertEquals("1.5 KB", formatBytes(1500))
        assertEquals("12 MB", formatBytes(12_000_000))
        assertEquals("3 min 20 s", formatDuration(200))
        var now = 0L
        val meter = ProgressMeter { now }
        meter.sample(0, 10_000_000)
        now = 1000
        val p = meter.sample(2_000_000, 10_000_000)
        assertEquals(2_000_000, p.bytesPerSecond)
        assertEquals(4L, p.etaSeconds)
        assertEquals("2.0 MB of 10 MB · 2.0 MB/s · 4 s left", p.label)
        assertIs<Scanned.PairCode>(Scanned.of(" FERRYPAIRabc "))
        assertIs<Scanned.ShareTicket>(Scanned.of("ferry://ferryabc"))
        assertIs<Scanned.ShareTicket>(Scanned.of("blobabc"))
        assertIs<Scanned.Unknown>(Scanned.of("https://example.org"))
        // Settings are judged by core's rules, worded as sentences.
        assertEquals("Give this device a name.", Settings(" ", "/x").problem())
        assertEquals("The device name has control characters.", Settings("Pix\u202Eel", "/x").problem())
        assertEquals("The relay URL must start with https:// or http://.", Settings("Pixel", "/x", relay = "relay.example").problem())
        assertEquals("Pick a folder for received files.", Settings("Pixel", " ").problem())
        assertNull(Settings("Pixel", "/sdcard/Download").problem())
        assertNull(Settings("Pixel", "/sdcard/Download", relay = "https://relay.example.net").problem())
        assertEquals(
            "The discovery server URL must be http:// or https:// and name a host.",
            Settings("Pixel", "/x", discovery = "dns.example").problem(),
        )
        assertNull(Settings("Pixel", "/x", discovery = "https://dns.example.net/pkarr").problem())
        // Kept across restarts, relays and discovery included.
        val store = SettingsStore(java.nio.file.Files.createTempDirectory("ferry-settings").resolve("s.properties").toFile()) {
            Settings("Pixel", "/x")
        }
        val own = Settings("Pixel", "/x", relay = "http://192.168.1.2:3340", discovery = "http://192.168.1.2:8080/pkarr")
        store.save(own)
        assertEquals(own, store.load())
        assertFailsWith<IllegalArgumentException> { store.save(own.copy(discovery = "https://")) }
        // Which ticket a scanned text is, as core says.
        assertIs<Scanned.PairCode>(Scanned.of("ferry://FERRYPAIRabc/"))
        assertFailsWith<IllegalArgumentException> { Outgoing(emptyList(), " ".trim()) }
        assertEquals(Outgoing(listOf("/a"), "hi"), Outgoing.fromShareSheet(listOf("/a"), " hi "))
    }

    @Test
    fun `pairing by scanning, then the inbox accepts and rejects pushes`(): Unit = runBlocking {
        withTimeout(180_000) {
            val phone = fx.app("Pixel")
            val laptop = fx.app("laptop")
            pair(laptop, phone)
            val row = phone.devices.state.awaitState { s -> s.paired.any { it.name == "laptop" } }.paired.single()
            assertFalse(row.autoAccept)
            phone.devices.probe()
            phone.devices.state.awaitState { it.paired.single().online == true }
            assertTrue(phone.devices.state.value.paired.single().statusLabel.startsWith("Online"))

            // The phone sends two photos; the laptop's user accepts.
            val src = fx.dir("photos")
            val photos = listOf(randomFile(src, "a.jpg", 700_000), randomFile(src, "b.jpg", 90_000))
            phone.send.send(row.id, row.name, Outgoing(photos.map { it.path }))
            val card = laptop.inbox.cards.awaitState { it.isNotEmpty() }.single()
            assertEquals("Pixel", card.fromName)
            assertEquals("2 files · 790 KB", card.summary)
            assertIs<OfferStatus.Waiting>(card.status)
            // A screen made after the offer arrived shows it too: the node holds it.
            val lateScope = CoroutineScope(Dispatchers.Default)
            val late = InboxModel(laptop.node, laptop.events, lateScope)
            assertEquals(listOf(card.offerId), late.cards.value.map { it.offerId })
            assertIs<OfferStatus.Waiting>(late.cards.value.single().status)
            lateScope.cancel()
            assertTrue(laptop.inbox.accept(card.offerId))
            val sent = phone.send.state.awaitState { it is SendState.Sent || it is SendState.Failed }
            assertEquals(2uL, assertIs<SendState.Sent>(sent).summary.files)
            val done = laptop.inbox.cards.awaitState { c -> c.single().status is OfferStatus.Done }
            assertEquals(2L, (done.single().status as OfferStatus.Done).files)
            for (p in photos) {
                assertArrayEquals(p.readBytes(), File(laptop.settings.downloadDir, p.name).readBytes())
            }

            // A link the laptop's user declines: the phone shows it as declined.
            laptop.inbox.clearFinished()
            phone.send.send(row.id, row.name, Outgoing(emptyList(), "https://example.org/x"))
            val linkCard = laptop.inbox.cards.awaitState { it.isNotEmpty() }.single()
            assertEquals("A link", linkCard.summary.replace("A note", "A link"))
            assertTrue(laptop.inbox.reject(linkCard.offerId))
            val failed = phone.send.state.awaitState { it is SendState.Failed || it is SendState.Sent }
            assertTrue(assertIs<SendState.Failed>(failed).declined)
            laptop.inbox.cards.awaitState { c -> c.single().status is OfferStatus.Rejected }

            // Renaming and auto-accept from the devices screen.
            phone.devices.rename(row.id, "Work laptop")
            phone.devices.setAutoAccept(row.id, true)
            val renamed = phone.devices.state.value.paired.single()
            assertEquals("Work laptop", renamed.name)
            assertTrue(renamed.autoAccept)
            assertNull(phone.devices.state.value.error)
        }
    }

    @Test
    fun `a push to a device that is off waits in the outbox`(): Unit = runBlocking {
        withTimeout(180_000) {
            val phone = fx.app("Pixel")
            val laptop = fx.app("laptop")
            pair(laptop, phone)
            val row = phone.devices.state.awaitState { s -> s.paired.any { it.name == "laptop" } }.paired.single()
            laptop.stop()

            // Unreachable is its own kind, apart from a connection that broke.
            assertFailsWith<FerryException.Offline> { phone.node.push(row.id, emptyList(), "hi") }
            // The send screen queues it instead of failing.
            phone.send.send(row.id, row.name, Outgoing(emptyList(), "call me"))
            val state = phone.send.state.awaitState(120_000) {
                it is SendState.Queued || it is SendState.Failed || it is SendState.Sent
            }
            assertEquals(SendState.Queued("laptop"), state)
            val waiting = phone.node.outbox().single()
            assertEquals("call me", waiting.text)
            assertEquals(row.id, waiting.deviceId)
        }
    }

    @Test
    fun `a shared QR ticket is scanned, offered and received with progress`(): Unit = runBlocking {
        withTimeout(120_000) {
            val laptop = fx.app("laptop")
            val phone = fx.app("Pixel")
            val src = fx.dir("src")
            val video = randomFile(src, "clip.mp4", 20_000_000)
            laptop.send.shareByQr(Outgoing(listOf(video.path), "for you"))
            val shared = assertIs<SendState.Shared>(laptop.send.state.awaitState { it !is SendState.Idle })

            phone.scan.onScanned(shared.share.ticket)
            val offered = phone.scan.state.awaitState { it is ScanState.Offered || it is ScanState.Failed }
            val offer = assertIs<ScanState.Offered>(offered).offer
            assertEquals(20_000_000uL, offer.bytes)
            assertEquals("for you", offer.text)

            val out = fx.dir("received")
            phone.scan.receive(out.path)
            assertIs<ScanState.Receiving>(phone.scan.state.value)
            val received = phone.scan.state.awaitState { it is ScanState.Received || it is ScanState.Failed }
            assertEquals(1uL, assertIs<ScanState.Received>(received).summary.files)
            assertArrayEquals(video.readBytes(), File(out, "clip.mp4").readBytes())

            // Something that is not a Ferry code says so.
            phone.scan.reset()
            phone.scan.onScanned("https://example.org")
            assertEquals("This QR code is not a Ferry code.", assertIs<ScanState.Failed>(phone.scan.state.value).message)
        }
    }

    @Test
    fun `a phone browses a collection, opens a file on demand and pins a folder`(): Unit = runBlocking {
        withTimeout(180_000) {
            val laptop = fx.app("laptop")
            val phone = fx.app("Pixel")
            pair(laptop, phone)
            val folder = fx.dir("photos")
            val beach = randomFile(folder, "2026/beach.jpg", 300_000)
            randomFile(folder, "2026/city.jpg", 200_000)
            randomFile(folder, "notes.txt", 1_000)
            laptop.node.createCollection("Photos", folder.path)
            // Not accepted at once: the invitation waits on the phone.
            assertFalse(laptop.node.invite("Photos", phone.node.id()))

            phone.collections.reload()
            phone.collections.state.awaitState { it.invites.isNotEmpty() }
            phone.collections.accept("Photos")
            phone.collections.open("Photos")
            val top = phone.collections.state.awaitState { s -> s.entries.map { it.name } == listOf("2026", "notes.txt") }
            val dir2026 = top.entries.first()
            assertTrue(dir2026.isFolder)
            assertEquals(500_000L, dir2026.size)
            assertFalse(dir2026.local)

            phone.collections.browse("2026")
            assertEquals(listOf("beach.jpg", "city.jpg"), phone.collections.state.value.entries.map { it.name })
            val opened = assertNotNull(phone.collections.fetch("2026/beach.jpg"))
            assertArrayEquals(beach.readBytes(), opened.readBytes())

            phone.collections.pin("2026", true)
            phone.collections.up()
            phone.collections.state.awaitState(120_000) { s -> s.entries.firstOrNull()?.local == true }
            assertNull(phone.collections.state.value.error)
        }
    }
}
