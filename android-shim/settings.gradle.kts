// Lets android-shim build on its own (`gradle :assembleRelease` here). An app
// that includes it as a module declares these plugins in its own build
// instead; see README.md, "Embedding on Android".
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
    plugins {
        id("com.android.library") version "8.7.3"
        id("org.jetbrains.kotlin.android") version "2.1.21"
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "posture-agent-android"
