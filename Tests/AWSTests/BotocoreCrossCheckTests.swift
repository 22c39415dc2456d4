import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import Testing

/// botocore as an independent signer: the same request, credentials and instant go to
/// `botocore_sign.py` and to `SigV4Signer`; the canonical request, string to sign and
/// Authorization header (or presigned URL) must match byte for byte.
@Suite("SigV4: byte-for-byte against botocore")
struct BotocoreCrossCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var url: String
        var headers: [(name: String, value: String)] = []
        var body: String = ""
        var service: String
        var region: String = "eu-west-1"
        var token: String? = nil
        var presignExpires: Int? = nil
        var testDescription: String { name }
    }

    static let accessKey = "AKIDCROSSCHECK1"
    static let secretKey = "cross/check+secret=key0123456789abcdefABCD"
    static let date = Date(timeIntervalSince1970: 1_768_469_400)  // 2026-01-15T09:30:00Z
    static let sessionToken = "FwoGZXIvYXdzEXAMPLE//session+token/with=chars"

    static let cases: [Case] = [
        Case(name: "GET, query with spaces, unicode, reserved characters and an empty value",
             method: "GET",
             url: "https://secretsmanager.eu-west-1.amazonaws.com/?name=a%20b&%E1%88%B4=%C3%A9t%C3%A9&r=%2F%3F%3D%26%2B%21%2A&flag=&Zeta=1",
             service: "secretsmanager"),
        Case(name: "JSON 1.1 POST to Secrets Manager",
             method: "POST", url: "https://secretsmanager.eu-west-1.amazonaws.com/",
             headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.ListSecretVersionIds")],
             body: #"{"SecretId":"prod/app/db","IncludeDeprecated":true}"#, service: "secretsmanager"),
        Case(name: "JSON POST with a session token, to a loopback endpoint with a port",
             method: "POST", url: "http://127.0.0.1:4566/",
             headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.DescribeSecret")],
             body: #"{"SecretId":"jwt-signing-key"}"#, service: "secretsmanager", token: sessionToken),
        Case(name: "IAM Query POST (form body), signed for us-east-1",
             method: "POST", url: "https://iam.amazonaws.com/",
             headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
             body: "Action=CreateAccessKey&UserName=aegis%20bot&Version=2010-05-08", service: "iam", region: "us-east-1"),
        Case(name: "path with an encoded space and dot segments, header with inner whitespace",
             method: "GET", url: "https://example.amazonaws.com/a%20b/./c/../d/?x=1",
             headers: [("X-Custom", "  one   two  three ")], service: "service", region: "us-east-1"),
        Case(name: "STS GetCallerIdentity presigned URL with a session token",
             method: "GET", url: "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
             service: "sts", token: sessionToken, presignExpires: 900),
    ]

    @Test("Swift and botocore sign identically", arguments: cases)
    func crossCheck(_ request: Case) async throws {
        var spec: [String: Any] = [
            "method": request.method, "url": request.url,
            "headers": request.headers.map { [$0.name, $0.value] }, "body": request.body,
            "date": "20260115T093000Z", "access_key": Self.accessKey, "secret_key": Self.secretKey,
            "region": request.region, "service": request.service,
        ]
        if let token = request.token { spec["token"] = token }
        if let expires = request.presignExpires { spec["mode"] = "query"; spec["expires"] = expires }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("botocore_sign.py").path
        let python = try TestProcess.python([script], input: true)
        python.write(Array(try JSONSerialization.data(withJSONObject: spec)))
        python.closeInput()
        let status = try await python.waitForExit(timeout: .seconds(90))
        #expect(status == 0, "botocore_sign.py exited \(status): \(python.stderr)")
        let botocore = try #require(try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: String])

        let credentials = AWSCredentials(accessKeyID: Self.accessKey, secretAccessKey: SecretValue(utf8: Self.secretKey),
                                         sessionToken: request.token.map(SecretValue.init(utf8:)))
        let signer = SigV4Signer(credentials: credentials, region: request.region, service: request.service)
        let url = try #require(URL(string: request.url))
        if let expires = request.presignExpires {
            let result = signer.presign(method: request.method, url: url, expires: expires, date: Self.date)
            #expect(result.canonicalRequest == botocore["canonical_request"])
            #expect(result.stringToSign == botocore["string_to_sign"])
            #expect(result.url?.absoluteString == botocore["url"])
        } else {
            let result = signer.signHeaders(method: request.method, url: url, headers: request.headers,
                                            body: Array(request.body.utf8), date: Self.date)
            #expect(result.canonicalRequest == botocore["canonical_request"])
            #expect(result.stringToSign == botocore["string_to_sign"])
            #expect(result.headers.first { $0.name == "Authorization" }?.value == botocore["authorization"])
        }
    }
}
