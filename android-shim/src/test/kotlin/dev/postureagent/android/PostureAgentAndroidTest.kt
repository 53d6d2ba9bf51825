package dev.postureagent.android

import android.content.Context
import android.content.ContextWrapper
import java.io.File
import java.nio.file.Files
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Just the app-private directory the facade asks for; no framework behind it. */
private class AppDirs(private val noBackup: File) : ContextWrapper(null) {
    override fun getApplicationContext(): Context = this

    override fun getNoBackupFilesDir(): File = noBackup
}

class PostureAgentAndroidTest {
    @Test
    fun `one agent per process, its state in noBackupFilesDir`() {
        val noBackup = Files.createTempDirectory("android-shim-facade").toFile()
        val context = AppDirs(noBackup)
        val agent = PostureAgentAndroid.create(context)
        assertEquals(File(noBackup, "posture-agent"), agent.stateDir)
        assertEquals(agent.stateDir.absolutePath, agent.agent.storageDir())
        assertSame(agent, PostureAgentAndroid.create(context))
        assertSame(agent, PostureAgentAndroid.get(context))
        // Options that differ from the first creation's are a programming error, said at once.
        val e = assertThrows<IllegalStateException> {
            PostureAgentAndroid.create(context, PostureAgentAndroid.Options(keyAlias = "another-key"))
        }
        assertEquals(true, e.message?.contains("Application.onCreate"))
    }
}
