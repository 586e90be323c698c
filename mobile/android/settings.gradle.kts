// The Ferry Android app: a thin Compose layer (:app) over state holders
// without Android imports (:logic) over the generated bindings of the Rust
// core (:bindings). The Rust workspace is two folders up.

pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "ferry-android"

include(":app", ":logic", ":bindings")
