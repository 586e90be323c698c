package app.ferry.android.logic

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import kotlin.test.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertIs

/**
 * Phone to laptop, end to end. The phone is this app's logic on the JVM;
 * the laptop is the real `ferry` command (FERRY_BIN). The phone reads the
 * laptop's pairing code from the QR image the laptop wrote, decoded with
 * ZXing as the camera screen does, pairs, and pushes three photos; the
 * laptop accepts them and they land byte-identical.
 */
class PhoneToLaptopTest {
    private val fx = Fixture()
    private val processes = mutableListOf<Process>()
    private val ferry = System.getenv("FERRY_BIN") ?: error("FERRY_BIN must name the ferry binary")

    @AfterEach
    fun cleanUp(): Unit = runBlocking {
        processes.forEach { it.destroy(); it.waitFor(10, TimeUnit.SECONDS); it.destroyForcibly() }
        fx.close()
    }

    private fun laptop(data: File, vararg args: String, log: File): Process =
        ProcessBuilder(
            listOf(ferry, "--data-dir", data.path, "--relay", "disabled", "--bind", "127.0.0.1:0", "--name", "laptop") +
                args,
        ).redirectOutput(log).redirectError(File(log.path + ".err")).start().also { processes += it }

    private suspend fun waitFor(ms: Long, what: String, check: () -> Boolean) = withTimeout(ms) {
        while (!check()) kotlinx.coroutines.delay(50)
    }.also { assertTrue(check(), what) }

    @Test
    fun `the phone scans the laptop's QR code, pairs, and pushes three photos`(): Unit = runBlocking {
        withTimeout(240_000) {
            val laptopData = fx.dir("laptop-data")
            val logs = fx.dir("logs")
            val qr = File(logs, "pair.png")

            // The laptop shows its pairing code and writes the QR image.
            val pairing = laptop(laptopData, "pair", "--qr-png", qr.path, "--timeout", "120", log = File(logs, "pair.out"))
            waitFor(60_000, "the laptop wrote its QR code") { qr.length() > 0 && File(logs, "pair.out").length() > 0 }

            // The phone decodes it from the image as from a camera frame.
            val phone = fx.app("Pixel")
            val (y, w, h) = luminanceOf(qr)
            val scanned = assertNotNull(QrScanner().scan(y, w, h))
            assertIs<Scanned.PairCode>(scanned)
            phone.scan.onScanned(scanned.text)
            val paired = phone.scan.state.awaitState { it is ScanState.Paired || it is ScanState.Failed }
            assertEquals("laptop", assertIs<ScanState.Paired>(paired).deviceName)
            withContext(Dispatchers.IO) { assertTrue(pairing.waitFor(60, TimeUnit.SECONDS)) }
            assertEquals(0, pairing.exitValue())

            // The laptop trusts the phone's pushes and listens.
            val set = laptop(laptopData, "devices", "set", "Pixel", "--auto-accept", "on", log = File(logs, "set.out"))
            withContext(Dispatchers.IO) { assertTrue(set.waitFor(60, TimeUnit.SECONDS)) }
            assertEquals(0, set.exitValue(), File(logs, "set.out.err").readText())
            val inbox = fx.dir("laptop-inbox")
            val listenLog = File(logs, "listen.out")
            laptop(laptopData, "--json", "listen", "--accept", "trusted", "--out", inbox.path, log = listenLog)
            waitFor(60_000, "the laptop listens") { listenLog.readText().contains("\"listening\"") }

            // The phone pushes three photos.
            val camera = fx.dir("DCIM")
            val photos = (1..3).map { randomFile(camera, "IMG_000$it.jpg", 400_000 * it, seed = it) }
            val laptopRow = phone.devices.state.awaitState { it.paired.isNotEmpty() }.paired.single()
            phone.send.send(laptopRow.id, laptopRow.name, Outgoing(photos.map { it.path }))
            val sent = phone.send.state.awaitState(120_000) { it is SendState.Sent || it is SendState.Failed || it is SendState.Queued }
            assertEquals(3uL, assertIs<SendState.Sent>(sent, sent.toString()).summary.files)

            for (p in photos) {
                assertArrayEquals(p.readBytes(), File(inbox, p.name).readBytes(), p.name)
            }
            assertTrue(listenLog.readText().contains("Pixel"))
        }
    }
}
