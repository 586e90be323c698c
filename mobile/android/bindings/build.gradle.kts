// The Rust core as an Android library: libferry_ffi.so for every app ABI
// (built with cargo-ndk) and the Kotlin bindings uniffi generates from it,
// plus the hand-written Flow extension in bindings/kotlin. Nothing here is
// committed output: both are made from the Rust sources on every build
// that needs them, so the bindings always match the library exactly.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

// The Rust workspace: mobile/android is two folders below it.
val repoRoot: File = rootDir.resolve("../..").canonicalFile

// Where cargo puts its builds (honours CARGO_TARGET_DIR, as cargo does).
val cargoTargetDir: File = System.getenv("CARGO_TARGET_DIR")
    ?.takeIf { it.isNotBlank() }
    ?.let { File(it).let { dir -> if (dir.isAbsolute) dir else repoRoot.resolve(it) } }
    ?: repoRoot.resolve("target")

val jniLibsOut: File = layout.buildDirectory.dir("rustJniLibs").get().asFile
val uniffiOut: File = layout.buildDirectory.dir("generated/uniffi").get().asFile
val handWrittenKotlin: File = repoRoot.resolve("bindings/kotlin/src/main/kotlin")

// What the native library is built from; a change to any of it rebuilds.
val rustSources = files(
    repoRoot.resolve("Cargo.toml"),
    repoRoot.resolve("Cargo.lock"),
    fileTree(repoRoot.resolve("core")) { include("Cargo.toml", "uniffi.toml", "src/**") },
    fileTree(repoRoot.resolve("bindings")) { include("Cargo.toml", "uniffi.toml", "src/**") },
)

// libferry_ffi.so for arm64 phones, older 32-bit ARM phones and the x86_64
// emulator, laid out as jniLibs/<abi>/libferry_ffi.so.
val buildRust by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds libferry_ffi.so for the app's ABIs with cargo-ndk."
    workingDir = repoRoot
    inputs.files(rustSources).withPropertyName("rustSources").withPathSensitivity(PathSensitivity.RELATIVE)
    outputs.dir(jniLibsOut).withPropertyName("jniLibs")
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniLibsOut.path,
        "build", "--release", "--locked", "-p", "ferry-ffi",
    )
}

// The Kotlin bindings, read from the arm64 library cargo built (unstripped,
// so uniffi finds its metadata symbols). The bindgen is built for the host
// in its own cargo run, so its features never reach the phone's library.
//
// uniffi reads the crate's own bindings/uniffi.toml (package app.ferry.core,
// android = true) by itself: it finds the crate with `cargo metadata` from
// the repository root. Passing that file with --config would not work: the
// flag takes a global file with [crates.<name>] sections instead.
val generateBindings by tasks.registering(Exec::class) {
    group = "build"
    description = "Generates the Kotlin bindings of libferry_ffi.so with uniffi-bindgen."
    dependsOn(buildRust)
    val library = cargoTargetDir.resolve("aarch64-linux-android/release/libferry_ffi.so")
    workingDir = repoRoot
    inputs.files(rustSources).withPropertyName("rustSources").withPathSensitivity(PathSensitivity.RELATIVE)
    outputs.dir(uniffiOut).withPropertyName("bindings")
    doFirst { uniffiOut.deleteRecursively() }
    commandLine(
        "cargo", "run", "--locked", "-p", "ferry-bindgen", "--bin", "uniffi-bindgen", "--",
        "generate", "--no-format",
        "--library", library.path,
        "--language", "kotlin",
        "--out-dir", uniffiOut.path,
    )
}

android {
    namespace = "app.ferry.bindings"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
    }

    sourceSets {
        getByName("main") {
            kotlin.srcDirs(uniffiOut, handWrittenKotlin)
            jniLibs.srcDir(jniLibsOut)
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// Sources and native libraries must exist before any variant is built.
tasks.named("preBuild") {
    dependsOn(generateBindings)
}

dependencies {
    // The generated code loads the library and passes pointers with JNA; on
    // Android it must be the aar, which carries JNA's own native part for
    // each ABI.
    api("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    // Async calls are suspend functions; events are a Flow.
    api(libs.kotlinx.coroutines.core)
    // The generated object cleaner uses @RequiresApi.
    implementation(libs.androidx.annotation)
}
