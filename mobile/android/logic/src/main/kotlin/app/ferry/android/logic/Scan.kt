package app.ferry.android.logic

import app.ferry.core.TicketKind
import app.ferry.core.ticketKind
import com.google.zxing.BarcodeFormat
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.NotFoundException
import com.google.zxing.ChecksumException
import com.google.zxing.FormatException
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader

/** What a scanned QR code holds. */
sealed interface Scanned {
    val text: String

    /** A pairing code another device shows (`ferrypair…`). */
    data class PairCode(override val text: String) : Scanned

    /** A one-shot share (`ferry…` or a plain `blob…` ticket). */
    data class ShareTicket(override val text: String) : Scanned

    /** Anything else: not for Ferry. */
    data class Unknown(override val text: String) : Scanned

    companion object {
        /** Classifies scanned text as core does; `ferry://` links included. */
        fun of(raw: String): Scanned {
            val text = raw.trim()
            return when (ticketKind(text)) {
                TicketKind.PAIR -> PairCode(text)
                TicketKind.SHARE -> ShareTicket(text)
                null -> Unknown(raw)
            }
        }
    }
}

/**
 * Decodes QR codes from camera frames. CameraX hands the app YUV frames;
 * their Y plane is the luminance this reads. Pure ZXing core, so the same
 * code runs on Android and on the JVM.
 */
class QrScanner {
    private val reader = QRCodeReader()
    private val hints = mapOf(
        DecodeHintType.POSSIBLE_FORMATS to listOf(BarcodeFormat.QR_CODE),
        DecodeHintType.TRY_HARDER to true,
    )

    /**
     * The text of the QR code in a frame, or null if none is readable.
     * [luminance] holds [rowStride] bytes per row (at least [width]).
     */
    fun decode(luminance: ByteArray, width: Int, height: Int, rowStride: Int = width): String? {
        val source = PlanarYUVLuminanceSource(luminance, rowStride, height, 0, 0, width, height, false)
        return try {
            reader.decode(BinaryBitmap(HybridBinarizer(source)), hints).text
        } catch (e: NotFoundException) {
            null
        } catch (e: ChecksumException) {
            null
        } catch (e: FormatException) {
            null
        } finally {
            reader.reset()
        }
    }

    /** Decodes a frame and classifies it; null if no code is readable. */
    fun scan(luminance: ByteArray, width: Int, height: Int, rowStride: Int = width): Scanned? =
        decode(luminance, width, height, rowStride)?.let(Scanned::of)
}
