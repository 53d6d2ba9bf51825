// The reference collector as a real process, once per test run: a JUnit 5
// extension keeps one server in the root store and stops it (SIGTERM) when
// the run ends. The binary is $POSTURE_AGENT_BIN (tests/bindings/run builds
// it with `cargo build -p posture-agent`).
package dev.postureagent.tests

import java.io.File
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import org.junit.jupiter.api.extension.ExtensionContext
import org.junit.jupiter.api.extension.ParameterContext
import org.junit.jupiter.api.extension.ParameterResolver

private const val CODES = 8
private const val START_TIMEOUT_SECS = 60L

/** One running `posture-agent serve`: its URL, admin token and unused enrolment codes. */
class CollectorServer private constructor(
    val url: String,
    private val adminToken: String,
    codes: List<String>,
    private val process: Process,
) : ExtensionContext.Store.CloseableResource {
    private val codes = ArrayDeque(codes)

    /** A one-time enrolment code nobody has used. */
    @Synchronized
    fun takeCode(): String = codes.removeFirstOrNull() ?: error("all $CODES enrolment codes are used; issue more")

    /** Every accepted report, one JSON object per line (GET /v1/reports/export). */
    fun export(): List<String> {
        val connection = URI("$url/v1/reports/export").toURL().openConnection() as HttpURLConnection
        connection.setRequestProperty("Authorization", "Bearer $adminToken")
        connection.connectTimeout = 10_000
        connection.readTimeout = 10_000
        return connection.inputStream.bufferedReader().use { it.readLines() }.filter { it.isNotBlank() }
    }

    /** Stops the server with SIGTERM (what `destroy` sends on Unix). */
    override fun close() {
        process.destroy()
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    companion object {
        fun start(): CollectorServer {
            val binary = System.getenv("POSTURE_AGENT_BIN")
                ?: error("set POSTURE_AGENT_BIN to a posture-agent binary (tests/bindings/run does)")
            val folder = Files.createTempDirectory("posture-collector").toFile()
            val log = File(folder, "stderr.log")
            val builder = ProcessBuilder(
                binary, "serve", "--listen", "127.0.0.1:0", "--issue-codes", "$CODES",
                "--db", File(folder, "c.sqlite3").path,
            ).redirectError(log)
            builder.environment().remove("POSTURE_COLLECTOR_ADMIN_TOKEN")
            val process = builder.start()
            val lines = LinkedBlockingQueue<String>()
            thread(isDaemon = true) {
                process.inputStream.bufferedReader().forEachLine { lines.put(it) }
                lines.put(EOF)
            }
            var url: String? = null
            var token: String? = null
            val codes = mutableListOf<String>()
            try {
                while (codes.size < CODES || url == null || token == null) {
                    val line = lines.poll(START_TIMEOUT_SECS, TimeUnit.SECONDS)
                        ?: error("the collector printed no codes in time")
                    if (line == EOF) error("the collector exited (${process.waitFor()}): ${log.readText()}")
                    Regex("""collector listening on (\S+)$""").find(line)?.let { url = it.groupValues[1] }
                    Regex("""^admin token: (\S+)$""").find(line)?.let { token = it.groupValues[1] }
                    Regex("""^enrolment code: (\S+) """).find(line)?.let { codes.add(it.groupValues[1]) }
                }
            } catch (e: Throwable) {
                process.destroyForcibly()
                throw e
            }
            return CollectorServer(url!!, token!!, codes, process)
        }

        private const val EOF = "\u0000eof"
    }
}

/** Hands tests a `CollectorServer` parameter: one server for the whole run. */
class CollectorExtension : ParameterResolver {
    override fun supportsParameter(parameter: ParameterContext, extension: ExtensionContext): Boolean =
        parameter.parameter.type == CollectorServer::class.java

    override fun resolveParameter(parameter: ParameterContext, extension: ExtensionContext): Any =
        extension.root.getStore(ExtensionContext.Namespace.create(CollectorServer::class.java))
            .getOrComputeIfAbsent("collector", { CollectorServer.start() }, CollectorServer::class.java)
}
