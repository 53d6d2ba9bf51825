// Kotlin drives the Rust core through the generated bindings against the
// reference collector (posture-agent serve, a real process on loopback):
// enrol with a one-time code, check in, and the collector's verdict. The
// facade is the one an app uses; only the Keystore (absent on the JVM) is a
// software key, and the probe maps fixed framework values.
package dev.postureagent.android

import android.content.Context
import android.content.ContextWrapper
import dev.postureagent.PostureAgent
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneOffset
import java.util.UUID
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** No framework behind it: it has no system services, so there is no JobScheduler to cancel at unenrol. */
private object NoFramework : ContextWrapper(null) {
    override fun getApplicationContext(): Context = this

    override fun getSystemServiceName(serviceClass: Class<*>): String? = null
}

/** `posture-agent serve` on a free loopback port, with one code issued. */
private class Collector(dir: File) : AutoCloseable {
    val adminToken = UUID.randomUUID().toString()
    private val process: Process
    val url: String
    val code: String

    init {
        val bin = System.getProperty("posture.agent.bin")
        check(bin != null && File(bin).canExecute()) { "posture-agent is not built at $bin (cargo build -p posture-agent)" }
        process = ProcessBuilder(
            bin, "serve", "--listen", "127.0.0.1:0", "--issue-codes", "1",
            "--db", File(dir, "collector.sqlite3").path, "--admin-token", adminToken,
        ).redirectErrorStream(true).start()
        val lines = LinkedBlockingQueue<String>()
        thread(isDaemon = true) { process.inputStream.bufferedReader().forEachLine { lines.put(it) } }
        var url: String? = null
        var code: String? = null
        while (url == null || code == null) {
            val line = lines.poll(60, TimeUnit.SECONDS) ?: error("posture-agent serve printed no address and code in 60 s")
            Regex("collector listening on (http://\\S+)").find(line)?.let { url = it.groupValues[1] }
            Regex("enrolment code: (\\S+)").find(line)?.let { code = it.groupValues[1] }
        }
        this.url = url!!
        this.code = code!!
    }

    fun fleet(): String {
        val request = HttpRequest.newBuilder(URI.create("$url/v1/fleet")).header("Authorization", "Bearer $adminToken").build()
        val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "GET /v1/fleet: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    override fun close() {
        process.destroy() // SIGTERM: the collector stops cleanly
        process.waitFor(10, TimeUnit.SECONDS)
    }
}

class EndToEndTest {
    private val dir = Files.createTempDirectory("android-shim-e2e").toFile()
    private val collector = Collector(dir)

    @AfterEach
    fun stop() = collector.close()

    @Test
    fun `Kotlin enrols, checks in and gets the collector's verdict`() = runBlocking {
        val state = File(dir, "agent").apply { mkdirs() }
        val holder = SoftwareKeyHolder()
        val signer = KeystoreSigner(holder)
        // Patched today, locked, encrypted: the default policy's compliant phone.
        val probe = FixedProbe(pixelReadings().copy(securityPatch = read(LocalDate.now(ZoneOffset.UTC).toString())))
        val agent = PostureAgent(state.path, probe = probe, signer = signer)
        val android = PostureAgentAndroid(NoFramework, agent, signer, state)

        android.enrol(collector.url, collector.code)
        assertArrayEquals(AttestationChallenge.forEnrolmentCode(collector.code), holder.challenges.last())
        val deviceId = android.status().deviceId
        assertTrue(deviceId != null && collector.fleet().contains(deviceId))

        android.checkIn()
        val fleet = collector.fleet()
        assertTrue(Regex("\"compliant\"\\s*:\\s*1\\b").containsMatchIn(fleet), fleet)
        assertTrue(Regex("\"device_id\"\\s*:\\s*\"$deviceId\"[^}]*\"status\"\\s*:\\s*\"compliant\"").containsMatchIn(fleet), fleet)
        assertTrue(android.previewReport().toString().contains(deviceId!!))

        android.unenrol()
        assertEquals(null, holder.pair, "unenrolling deletes the device key")
    }
}
