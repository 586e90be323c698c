package app.ferry.android.ui

import android.graphics.Bitmap
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import app.ferry.android.R
import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.WriterException
import com.google.zxing.qrcode.QRCodeWriter
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel

/**
 * [text] as a QR code: one pixel per module (with a two-module quiet zone),
 * scaled up without smoothing when drawn. Null if it does not fit in a QR code.
 */
fun qrBitmap(text: String): ImageBitmap? {
    val hints = mapOf(
        EncodeHintType.MARGIN to 2,
        EncodeHintType.ERROR_CORRECTION to ErrorCorrectionLevel.M,
        EncodeHintType.CHARACTER_SET to "UTF-8",
    )
    val matrix = try {
        QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0, hints)
    } catch (e: WriterException) {
        return null
    } catch (e: IllegalArgumentException) {
        return null
    }
    val width = matrix.width
    val height = matrix.height
    val pixels = IntArray(width * height) { i -> if (matrix.get(i % width, i / width)) DARK else LIGHT }
    return Bitmap.createBitmap(pixels, width, height, Bitmap.Config.ARGB_8888).asImageBitmap()
}

// Opaque black and opaque white as ARGB ints (0xFF000000, 0xFFFFFFFF).
private const val DARK = -0x1000000
private const val LIGHT = -1

/** A QR code on white (so it scans in the dark theme too), as large as [modifier] lets it be. */
@Composable
fun QrCode(text: String, modifier: Modifier = Modifier) {
    val image = remember(text) { qrBitmap(text) }
    if (image == null) {
        ErrorBanner(stringResource(R.string.qr_too_long), modifier)
        return
    }
    Image(
        bitmap = image,
        contentDescription = stringResource(R.string.qr_description),
        modifier = modifier
            .clip(RoundedCornerShape(12.dp))
            .background(Color.White)
            .padding(8.dp),
        contentScale = ContentScale.Fit,
        filterQuality = FilterQuality.None,
    )
}
