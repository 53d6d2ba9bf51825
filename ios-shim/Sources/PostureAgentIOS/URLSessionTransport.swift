import Foundation
import PostureAgent

/// The foreign `Transport` over URLSession, which the iOS build of the core
/// uses instead of its own HTTPS client: URLSession applies the system's
/// trust store (including roots a trust installs by MDM), proxies, per-app
/// VPN and App Transport Security, and the library stays smaller.
///
/// The core refuses non-https URLs (except loopback) before it calls here;
/// ATS refuses them again. Every HTTP status comes back as a response;
/// only a failure to get any answer throws.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession

    /// `configuration`: ephemeral by default, so no cookies or cache on disk.
    public init(configuration: URLSessionConfiguration = .ephemeral, timeout: TimeInterval = 30) {
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// Blocks until the answer arrives: the core calls this from a worker
    /// thread, never from the main thread.
    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw PostureAgentError.InvalidInput(reason: "not a URL: \(request.url)")
        }
        var r = URLRequest(url: url)
        switch request.method {
        case .get: r.httpMethod = "GET"
        case .post: r.httpMethod = "POST"
        }
        for header in request.headers { r.addValue(header.value, forHTTPHeaderField: header.name) }
        if !request.body.isEmpty { r.httpBody = request.body }

        let done = DispatchSemaphore(value: 0)
        var result: Result<HttpResponse, Error> = .failure(PostureAgentError.Internal(reason: "no answer"))
        session.dataTask(with: r) { data, response, error in
            defer { done.signal() }
            if let error {
                result = .failure(PostureAgentError.Network(reason: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse {
                let headers = http.allHeaderFields.map { name, value in
                    HttpHeader(name: "\(name)".lowercased(), value: "\(value)")
                }
                result = .success(HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: data ?? Data()))
            } else {
                result = .failure(PostureAgentError.Network(reason: "the answer was not HTTP"))
            }
        }.resume()
        done.wait()
        return try result.get()
    }
}

/// The protocol never redirects: a redirect is returned as the 3xx it is.
private final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest,
                    completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
