package app.ferry.core

import app.ferry.core.types.Event
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.io.RandomAccessFile
import java.nio.file.Files
import kotlin.random.Random
import kotlin.test.assertFailsWith

/**
 * Every event of a node from the moment it is made, replayed to each
 * collector: no event is missed however late a collector starts.
 */
class Recorder(node: FerryNode) : EventListener, AutoCloseable {
    private val all = MutableSharedFlow<Event>(replay = 100_000)
    val events: Flow<Event> = all
    private val subscription = node.subscribe(this)

    override fun onEvent(event: Event) {
        all.tryEmit(event)
    }

    override fun close() = subscription.close()
}

/** The Kotlin bindings against the real core: two nodes in one JVM on loopback. */
class FerryNodeTest {
    private val dirs = mutableListOf<File>()
    private val nodes = mutableListOf<FerryNode>()

    private fun tempDir(prefix: String): File =
        Files.createTempDirectory("ferry-kt-$prefix").toFile().also { dirs += it }

    private suspend fun node(name: String): FerryNode =
        FerryNode.start(
            FerryConfig(
                dataDir = tempDir(name).path,
                deviceName = name,
                relay = "disabled",
                bindAddr = "127.0.0.1:0",
            ),
        ).also { nodes += it }

    @AfterEach
    fun cleanUp(): Unit = runBlocking {
        nodes.forEach { it.shutdown(); it.close() }
        dirs.forEach { it.deleteRecursively() }
    }

    private fun randomFile(dir: File, name: String, size: Int): File =
        File(dir, name).apply { writeBytes(Random(size).nextBytes(size)) }

    /** Pairs [a] (showing the ticket) with [b] (joining). */
    private suspend fun pair(a: FerryNode, b: FerryNode) {
        val ticket = a.startPairing(60u)
        val joined = b.join(ticket)
        assertEquals(a.id(), joined.id)
        assertEquals(listOf(b.id()), a.devices().map { it.id })
    }

    @Test
    fun `two nodes exchange a share, with progress events`(): Unit = runBlocking {
        withTimeout(120_000) {
            val laptop = node("laptop")
            val phone = node("phone")
            val src = tempDir("src")
            val photo = randomFile(src, "photo.jpg", 3_000_000)
            val share = laptop.share(listOf(photo.path), "hello from the laptop")
            assertEquals(1uL, share.files)
            assertEquals(3_000_000uL, share.bytes)

            val incoming = phone.openTicket(share.ticket)
            val info = incoming.info()
            assertEquals(laptop.id(), info.sender)
            assertEquals(listOf("photo.jpg"), info.entries.map { it.name })
            assertEquals(3_000_000uL, info.bytes)
            assertEquals("hello from the laptop", info.text)

            val progress = async(start = CoroutineStart.UNDISPATCHED) {
                phone.events().filterIsInstance<Event.ReceiveProgress>()
                    .first { it.bytesDone == it.bytesTotal }
            }
            val out = tempDir("out")
            val summary = incoming.receive(out.path)
            assertEquals(1uL, summary.files)
            assertEquals(3_000_000uL, summary.bytes)
            assertTrue(summary.bytesTransferred >= 3_000_000uL)
            assertArrayEquals(photo.readBytes(), File(out, "photo.jpg").readBytes())
            assertEquals(3_000_000uL, progress.await().bytesTotal)

            // A second receive of the same offer object is refused; the
            // history has the finished transfer.
            assertFailsWith<FerryException.InvalidInput> { runBlocking { incoming.receive(out.path) } }
            val row = phone.history(10u).first()
            assertEquals(TransferDirection.RECEIVE, row.direction)
            assertEquals(TransferState.COMPLETE, row.state)
        }
    }

    @Test
    fun `pair, then push with accept and with reject`(): Unit = runBlocking {
        withTimeout(120_000) {
            val phone = node("phone")
            val laptop = node("laptop")
            pair(laptop, phone)
            val inbox = tempDir("inbox")
            laptop.setInbox(AcceptPolicy.ASK, inbox.path)
            val src = tempDir("src")
            val file = randomFile(src, "notes.txt", 10_000)

            // The laptop's user accepts the first offer...
            val recorder = Recorder(laptop)
            val offers = recorder.events.filterIsInstance<Event.OfferReceived>()
            val accepting = launch(Dispatchers.Default) {
                val offer = offers.first()
                assertEquals("phone", offer.sender.name)
                assertEquals(listOf("notes.txt"), offer.names)
                assertTrue(laptop.respond(offer.offerId, true))
            }
            val summary = phone.push("laptop", listOf(file.path), null)
            accepting.join()
            assertEquals(1uL, summary.files)
            assertArrayEquals(file.readBytes(), File(inbox, "notes.txt").readBytes())

            // ...and rejects the second: the pusher gets a typed exception.
            val rejecting = launch(Dispatchers.Default) {
                val offer = offers.drop(1).first()
                assertTrue(laptop.respond(offer.offerId, false))
            }
            val e = assertFailsWith<FerryException.Rejected> {
                runBlocking { phone.push("laptop", emptyList(), "https://example.org/a") }
            }
            rejecting.join()
            assertTrue(e.message!!.contains("declined"), e.message)
            assertFalse(laptop.respond(12345u, true))
            recorder.close()
        }
    }

    @Test
    fun `a cancelled coroutine cancels the transfer`(): Unit = runBlocking {
        withTimeout(180_000) {
            val laptop = node("laptop")
            val phone = node("phone")
            val src = tempDir("src")
            val big = File(src, "video.bin")
            RandomAccessFile(big, "rw").use { raf ->
                val block = Random(1).nextBytes(1 shl 20)
                repeat(256) { raf.write(block) }
            }
            val share = laptop.share(listOf(big.path), null)
            val out = tempDir("out")

            val recorder = Recorder(phone)
            val started = async(Dispatchers.Default) {
                recorder.events.filterIsInstance<Event.ReceiveProgress>().first { it.bytesDone > 0uL }
            }
            val receiving = async(Dispatchers.Default) { phone.receive(share.ticket, out.path) }
            started.await()
            receiving.cancel()
            assertFailsWith<CancellationException> { runBlocking { receiving.await() } }

            // Nothing unfinished was published, and history says why it stopped.
            assertFalse(File(out, "video.bin").exists())
            val row = phone.history(1u).first()
            assertEquals(TransferState.FAILED, row.state)
            assertTrue(row.error.contains("cancelled"), row.error)

            // Receiving again finishes the file.
            val summary = phone.receive(share.ticket, out.path)
            assertEquals(256uL shl 20, summary.bytes)
            assertEquals(big.length(), File(out, "video.bin").length())
            recorder.close()
        }
    }

    @Test
    fun `the receiving side cancels an accepted push`(): Unit = runBlocking {
        withTimeout(180_000) {
            val phone = node("phone")
            val laptop = node("laptop")
            pair(laptop, phone)
            val inbox = tempDir("inbox")
            laptop.setInbox(AcceptPolicy.ASK, inbox.path)
            val src = tempDir("src")
            val big = File(src, "backup.bin")
            RandomAccessFile(big, "rw").use { raf ->
                val block = Random(2).nextBytes(1 shl 20)
                repeat(256) { raf.write(block) }
            }
            val recorder = Recorder(laptop)
            val events = recorder.events
            val answering = async(Dispatchers.Default) {
                val offer = events.filterIsInstance<Event.OfferReceived>().first()
                assertTrue(laptop.respond(offer.offerId, true))
                offer.offerId
            }
            val failed = async(Dispatchers.Default) {
                events.filterIsInstance<Event.OfferFailed>().first()
            }
            val cancelling = launch(Dispatchers.Default) {
                events.filterIsInstance<Event.ReceiveProgress>().first { it.bytesDone > 0uL }
                assertTrue(laptop.cancelOffer(answering.await()))
            }
            val e = assertFailsWith<FerryException> { runBlocking { phone.push("laptop", listOf(big.path), null) } }
            assertTrue(e.message!!.contains("cancelled"), e.message)
            cancelling.join()
            val offerId = answering.await()
            assertEquals(offerId, failed.await().offerId)
            assertFalse(File(inbox, "backup.bin").exists())
            assertFalse(laptop.cancelOffer(offerId))
            recorder.close()
        }
    }

    @Test
    fun `errors arrive as typed exceptions`(): Unit = runBlocking {
        withTimeout(60_000) {
            val phone = node("phone")
            assertFailsWith<FerryException.InvalidInput> {
                runBlocking { phone.receive("not a ticket", tempDir("out").path) }
            }
            assertFailsWith<FerryException.InvalidInput> { runBlocking { phone.join("ferryblob") } }
            assertFailsWith<FerryException.NotFound> { phone.renameDevice("nobody", "x") }
            assertFailsWith<FerryException.InvalidInput> {
                runBlocking { phone.share(listOf("/no/such/file"), null) }
            }
            val e = assertFailsWith<FerryException.Storage> {
                runBlocking {
                    FerryNode.start(FerryConfig(dataDir = phone.dataDir(), relay = "disabled", bindAddr = "127.0.0.1:0"))
                }
            }
            assertTrue(e.message!!.contains("in use"), e.message)
            assertFailsWith<FerryException.InvalidInput> {
                runBlocking { FerryNode.start(FerryConfig(dataDir = tempDir("x").path, bindAddr = "nowhere")) }
            }
        }
    }
}
