import Crypto
import Foundation

/// The first stage of SigV4: the canonical request, built from named parts.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
public enum SigV4Canonical {
    /// Hex SHA-256 of an empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Hex SHA-256 of the payload, the last line of the canonical request.
    public static func payloadHash(_ body: [UInt8]) -> String {
        SigV4Encoding.hex(SHA256.hash(data: body))
    }

    /// The canonical URI from the path as it goes on the wire.
    ///
    /// Every service but S3 normalizes the path (RFC 3986 dot segments removed, empty segments
    /// collapsed, a trailing slash kept) and URI-encodes it once more: an already encoded `%20`
    /// becomes `%2520` ("double encoding"). S3 signs the path as sent.
    public static func canonicalURI(wirePath: String, isS3: Bool = false) -> String {
        if wirePath.isEmpty { return "/" }
        if isS3 { return wirePath }
        return SigV4Encoding.uriEncode(normalizePath(wirePath), keepSlash: true)
    }

    /// Removes `.` and `..` segments and empty segments; keeps a leading and a trailing slash.
    static func normalizePath(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return leading + output.joined(separator: "/") + trailing
    }

    /// The canonical query string: every `name=value` pair decoded, URI-encoded again (RFC 3986,
    /// spaces as `%20`, never `+`), sorted by encoded name and then by encoded value, joined by `&`.
    public static func canonicalQueryString(wireQuery: String?) -> String {
        guard let wireQuery, !wireQuery.isEmpty else { return "" }
        let pairs: [(String, String)] = wireQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = SigV4Encoding.uriEncode(SigV4Encoding.percentDecode(String(parts[0])))
            let value = parts.count > 1 ? SigV4Encoding.uriEncode(SigV4Encoding.percentDecode(String(parts[1]))) : ""
            return (name, value)
        }
        return pairs.sorted { lhs, rhs in
            if lhs.0 != rhs.0 { return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) }
            return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
        }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Builds a query string from parameters the way AWS expects them on the wire (RFC 3986).
    public static func encodeQuery(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(SigV4Encoding.uriEncode($0.0))=\(SigV4Encoding.uriEncode($0.1))" }.joined(separator: "&")
    }

    /// Headers that are never signed: proxies and clients may change them.
    static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id"]

    /// Canonical headers and the signed-headers list: names lower-cased, values trimmed with
    /// inner runs of whitespace collapsed to one space, repeated names joined with `,` in the
    /// order given, sorted by name.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if unsignedHeaders.contains(lower) { continue }
            grouped[lower, default: []].append(trimAll(value))
        }
        let names = grouped.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// Trims a header value and collapses whitespace runs inside it to a single space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// Joins the six parts with newlines: method, URI, query, headers (each ending in a
    /// newline), signed headers, payload hash.
    public static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String,
        canonicalHeaders: String, signedHeaders: String, payloadHash: String
    ) -> String {
        [method, canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
    }
}
