// The app's state holders: plain Kotlin with no Android imports, over the
// bindings. It is an Android library only because the bindings are one (the
// generated code and JNA come as Android artifacts); the same sources also
// compile with kotlinc for the desktop JVM (mobile/android/test.sh).

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repoRoot: File = rootDir.resolve("../..").canonicalFile
val cargoTargetDir: File = System.getenv("CARGO_TARGET_DIR")
    ?.takeIf { it.isNotBlank() }
    ?.let { File(it).let { dir -> if (dir.isAbsolute) dir else repoRoot.resolve(it) } }
    ?: repoRoot.resolve("target")

android {
    namespace = "app.ferry.android.logic"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
    }

    sourceSets {
        getByName("main") {
            kotlin.srcDirs("src/main/kotlin")
        }
        getByName("test") {
            kotlin.srcDirs("src/test/kotlin")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        // The generated bindings read Build.VERSION; on the JVM it reads 0.
        unitTests.isReturnDefaultValues = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// The unit tests run on the desktop JVM against the real core: they need the
// host build of the library (`cargo build -p ferry-ffi`) and, for the phone to
// laptop test, FERRY_BIN naming a built `ferry`. mobile/android/test.sh does
// all of that without Gradle.
tasks.withType<Test>().configureEach {
    useJUnitPlatform()
    systemProperty("jna.library.path", cargoTargetDir.resolve("debug").path)
}

dependencies {
    api(project(":bindings"))
    api(libs.kotlinx.coroutines.core)
    implementation(libs.zxing.core)

    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testImplementation(libs.kotlin.test.junit5)
    testRuntimeOnly(libs.junit.platform.launcher)
    // The desktop JNA jar: it carries JNA's native part for the host, which
    // the Android aar does not.
    testImplementation("net.java.dev.jna:jna:${libs.versions.jna.get()}")
}
