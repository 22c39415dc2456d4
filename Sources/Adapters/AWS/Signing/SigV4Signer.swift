import AegisCore
import Crypto
import Foundation

/// AWS Signature Version 4 for one service in one region.
///
/// The stages are separate named functions so each can be checked against AWS's published
/// examples: ``SigV4Canonical`` builds the canonical request, ``stringToSign(canonicalRequest:amzDate:scope:)``
/// hashes it into the string to sign, ``signingKey(secretAccessKey:dateStamp:region:service:)`` derives
/// the key with the HMAC chain, and ``signature(stringToSign:signingKey:)`` signs.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What signing produced, with the intermediate stages kept for tests and debugging.
    /// Holds no secret: the session token, when there is one, is only in `headers`.
    public struct Result: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signedHeaders: String
        /// The headers to add to the request (`Authorization`, `X-Amz-Date`,
        /// `X-Amz-Security-Token` with temporary credentials, `X-Amz-Content-SHA256` for S3).
        /// Empty for presigned URLs.
        public var headers: [(name: String, value: String)]
        /// The presigned URL (query signing only).
        public var url: URL?
    }

    // MARK: - Stage 2 and 3: string to sign, signing key, signature

    /// `<yyyyMMdd>/<region>/<service>/aws4_request`.
    public static func credentialScope(dateStamp: String, region: String, service: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The string to sign: algorithm, request time, credential scope and the hex SHA-256 of the
    /// canonical request, one per line.
    ///
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-string-to-sign>.
    public static func stringToSign(canonicalRequest: String, amzDate: String, scope: String) -> String {
        let hash = SigV4Encoding.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))
        return [algorithm, amzDate, scope, hash].joined(separator: "\n")
    }

    /// The signing key: HMAC-SHA256 chained over date, region, service and `aws4_request`,
    /// starting from `"AWS4" + secret access key`.
    ///
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#derive-signing-key>.
    public static func signingKey(secretAccessKey: SecretValue, dateStamp: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4".utf8) + secretAccessKey.revealSecretBytes())
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// Hex HMAC-SHA256 of the string to sign under the signing key.
    ///
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#calculate-signature>.
    public static func signature(stringToSign: String, signingKey: SymmetricKey) -> String {
        SigV4Encoding.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey))
    }

    // MARK: - Header signing

    /// Signs a request with the `Authorization` header.
    ///
    /// `headers` are the request's headers (a `Host` header is added from the URL when missing);
    /// all of them are signed except those that proxies may change (`User-Agent`, `Expect`, …).
    public func signHeaders(
        method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8], date: Date = Date()
    ) -> Result {
        signHeaders(method: method, url: url, headers: headers, payloadHash: SigV4Canonical.payloadHash(body), date: date)
    }

    public func signHeaders(
        method: String, url: URL, headers: [(name: String, value: String)], payloadHash: String, date: Date
    ) -> Result {
        let stamp = SigV4Date(date)
        var toSign = headers
        if !toSign.contains(where: { $0.name.lowercased() == "host" }) { toSign.append(("host", Self.hostHeader(url))) }
        var added: [(name: String, value: String)] = [("X-Amz-Date", stamp.amzDate)]
        // S3 wants the payload hash as a header too; other services only sign it.
        if service == "s3" { added.append(("X-Amz-Content-SHA256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token.revealSecretString())) }
        toSign.removeAll { name, _ in added.contains { $0.name.lowercased() == name.lowercased() } }
        toSign += added

        let (canonicalHeaders, signedHeaders) = SigV4Canonical.canonicalHeaders(toSign)
        let canonicalRequest = SigV4Canonical.canonicalRequest(
            method: method,
            canonicalURI: SigV4Canonical.canonicalURI(wirePath: Self.wirePath(url), isS3: service == "s3"),
            canonicalQuery: SigV4Canonical.canonicalQueryString(wireQuery: URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders, payloadHash: payloadHash)
        let scope = Self.credentialScope(dateStamp: stamp.dateStamp, region: region, service: service)
        let stringToSign = Self.stringToSign(canonicalRequest: canonicalRequest, amzDate: stamp.amzDate, scope: scope)
        let key = Self.signingKey(secretAccessKey: credentials.secretAccessKey, dateStamp: stamp.dateStamp, region: region, service: service)
        let signature = Self.signature(stringToSign: stringToSign, signingKey: key)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Result(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                      signedHeaders: signedHeaders, headers: added + [("Authorization", authorization)], url: nil)
    }

    // MARK: - Query signing (presigned URLs)

    /// A presigned URL: the signature and its parameters travel in the query string, and only
    /// the `Host` header (plus any `headers` given) is signed. Valid for `expires` seconds.
    ///
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#add-signature-to-request>.
    public func presign(method: String, url: URL, headers: [(name: String, value: String)] = [], expires: Int, date: Date = Date()) -> Result {
        let stamp = SigV4Date(date)
        let scope = Self.credentialScope(dateStamp: stamp.dateStamp, region: region, service: service)
        var toSign = headers
        if !toSign.contains(where: { $0.name.lowercased() == "host" }) { toSign.append(("host", Self.hostHeader(url))) }
        let (canonicalHeaders, signedHeaders) = SigV4Canonical.canonicalHeaders(toSign)

        var components = URLComponents(url: url, resolvingAgainstBaseURL: false) ?? URLComponents()
        var parameters: [(String, String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", stamp.amzDate),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", signedHeaders),
        ]
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token.revealSecretString())) }
        let existing = components.percentEncodedQuery.map { $0.isEmpty ? [] : [$0] } ?? []
        let query = (existing + [SigV4Canonical.encodeQuery(parameters)]).joined(separator: "&")

        let payloadHash = service == "s3" ? "UNSIGNED-PAYLOAD" : SigV4Canonical.emptyPayloadHash
        let canonicalRequest = SigV4Canonical.canonicalRequest(
            method: method,
            canonicalURI: SigV4Canonical.canonicalURI(wirePath: Self.wirePath(url), isS3: service == "s3"),
            canonicalQuery: SigV4Canonical.canonicalQueryString(wireQuery: query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders, payloadHash: payloadHash)
        let stringToSign = Self.stringToSign(canonicalRequest: canonicalRequest, amzDate: stamp.amzDate, scope: scope)
        let key = Self.signingKey(secretAccessKey: credentials.secretAccessKey, dateStamp: stamp.dateStamp, region: region, service: service)
        let signature = Self.signature(stringToSign: stringToSign, signingKey: key)
        components.percentEncodedQuery = query + "&X-Amz-Signature=" + signature
        return Result(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                      signedHeaders: signedHeaders, headers: [], url: components.url)
    }

    // MARK: - Helpers

    /// The path as it goes on the wire (still percent-encoded); `/` when empty.
    static func wirePath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        return path.isEmpty ? "/" : path
    }

    /// `host[:port]`, the port only when it is not the scheme's default.
    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let isDefault = (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80)
        return isDefault ? host : "\(host):\(port)"
    }
}

/// The two time formats SigV4 uses, both in UTC: `yyyyMMdd'T'HHmmss'Z'` and `yyyyMMdd`.
struct SigV4Date: Sendable {
    let amzDate: String
    let dateStamp: String

    init(_ date: Date) {
        amzDate = Timestamps.compactISO8601(date)
        dateStamp = String(amzDate.prefix(8))
    }
}
