import AegisAWS
import AegisCore
import Crypto
import Foundation
import Testing

/// AWS's published SigV4 examples: the IAM `ListUsers` worked example of the SigV4 docs and
/// cases of the aws-sig-v4-test-suite (region us-east-1, service `service`, key AKIDEXAMPLE,
/// 2015-08-30 12:36:00 UTC). Every expected string below is AWS's, not computed here.
@Suite("SigV4: AWS's published examples")
struct SigV4VectorTests {
    static let secret = SecretValue(utf8: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: secret)
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let suiteScope = "20150830/us-east-1/service/aws4_request"

    /// One test-suite case through the named stages, from the raw request line of the suite.
    struct SuiteCase: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: String?
        var headers: [(name: String, value: String)]
        var body: String
        var canonicalRequest: String
        var stringToSignHash: String
        var signature: String
        var testDescription: String { name }
    }

    static let host: (name: String, value: String) = ("Host", "example.amazonaws.com")
    static let amzDate: (name: String, value: String) = ("X-Amz-Date", "20150830T123600Z")
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static let cases: [SuiteCase] = [
        SuiteCase(name: "get-vanilla", method: "GET", path: "/", query: nil, headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                  signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SuiteCase(name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: "Param2=value2&Param1=value1",
                  headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
                  signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        SuiteCase(name: "get-utf8", method: "GET", path: "/\u{1234}", query: nil, headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
                  signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        SuiteCase(name: "get-vanilla-utf8-query", method: "GET", path: "/", query: "\u{1234}=bar", headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
                  signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        SuiteCase(name: "get-header-value-trim", method: "GET", path: "/", query: nil,
                  headers: [host, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\""), amzDate], body: "",
                  canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
                  signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        // The suite's .creq for this case signs Content-Length, but its .sts and .authz were
        // computed without it (a known inconsistency of the suite): both are checked.
        SuiteCase(name: "post-x-www-form-urlencoded (.creq)", method: "POST", path: "/", query: nil,
                  headers: [("Content-Type", "application/x-www-form-urlencoded"), host, amzDate, ("Content-Length", "13")],
                  body: "Param1=value1",
                  canonicalRequest: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                  stringToSignHash: "", signature: ""),
        SuiteCase(name: "post-x-www-form-urlencoded (.sts, .authz)", method: "POST", path: "/", query: nil,
                  headers: [("Content-Type", "application/x-www-form-urlencoded"), host, amzDate],
                  body: "Param1=value1",
                  canonicalRequest: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                  stringToSignHash: "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
                  signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        SuiteCase(name: "get-relative-relative (path normalization)", method: "GET", path: "/example1/example2/../..", query: nil,
                  headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                  signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SuiteCase(name: "get-slashes (empty segments)", method: "GET", path: "//example//", query: nil, headers: [host, amzDate], body: "",
                  canonicalRequest: "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
                  stringToSignHash: "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
                  signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    ]

    @Test("test-suite case: canonical request, string to sign, signature", arguments: cases)
    func suiteCase(_ vector: SuiteCase) {
        let (canonicalHeaders, signedHeaders) = SigV4Canonical.canonicalHeaders(vector.headers)
        let canonicalRequest = SigV4Canonical.canonicalRequest(
            method: vector.method,
            canonicalURI: SigV4Canonical.canonicalURI(wirePath: vector.path),
            canonicalQuery: SigV4Canonical.canonicalQueryString(wireQuery: vector.query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders,
            payloadHash: SigV4Canonical.payloadHash(Array(vector.body.utf8)))
        #expect(canonicalRequest == vector.canonicalRequest)

        guard !vector.stringToSignHash.isEmpty else { return }
        let stringToSign = SigV4Signer.stringToSign(canonicalRequest: canonicalRequest, amzDate: "20150830T123600Z", scope: Self.suiteScope)
        #expect(stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n\(Self.suiteScope)\n\(vector.stringToSignHash)")

        if !vector.signature.isEmpty {
            let key = SigV4Signer.signingKey(secretAccessKey: Self.secret, dateStamp: "20150830", region: "us-east-1", service: "service")
            #expect(SigV4Signer.signature(stringToSign: stringToSign, signingKey: key) == vector.signature)
        }
    }

    @Test("post-x-www-form-urlencoded: the suite's Authorization header (Content-Length not signed)")
    func formPostAuthorization() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let result = signer.signHeaders(
            method: "POST", url: URL(string: "https://example.amazonaws.com/")!,
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("Param1=value1".utf8), date: Self.date)
        #expect(result.headers.first { $0.name == "Authorization" }?.value
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test("the SigV4 docs' IAM ListUsers example: every stage and the signing key")
    func iamListUsersExample() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "iam")
        let result = signer.signHeaders(
            method: "GET", url: URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")!,
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: [], date: Self.date)
        #expect(result.canonicalRequest == """
            GET
            /
            Action=ListUsers&Version=2010-05-08
            content-type:application/x-www-form-urlencoded; charset=utf-8
            host:iam.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(result.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/iam/aws4_request
            f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59
            """)
        let key = SigV4Signer.signingKey(secretAccessKey: Self.secret, dateStamp: "20150830", region: "us-east-1", service: "iam")
        #expect(key.withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
            == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        #expect(result.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(result.headers.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(result.headers.last?.value
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test("header signing from a URL reproduces get-vanilla and get-vanilla-query-order-key-case")
    func urlSigning() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let vanilla = signer.signHeaders(method: "GET", url: URL(string: "https://example.amazonaws.com/")!, headers: [], body: [], date: Self.date)
        #expect(vanilla.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let query = signer.signHeaders(method: "GET", url: URL(string: "https://example.amazonaws.com/?Param2=value2&Param1=value1")!,
                                       headers: [], body: [], date: Self.date)
        #expect(query.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test("post-sts-header-before: the session token is a signed X-Amz-Security-Token header")
    func sessionTokenHeader() {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        var credentials = Self.credentials
        credentials.sessionToken = SecretValue(utf8: token)
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let result = signer.signHeaders(method: "POST", url: URL(string: "https://example.amazonaws.com/")!, headers: [], body: [], date: Self.date)
        #expect(result.stringToSign.hasSuffix("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"))
        #expect(result.headers.first { $0.name == "X-Amz-Security-Token" }?.value == token)
        #expect(result.headers.first { $0.name == "Authorization" }?.value
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
    }

    @Test("non-S3 paths are double-encoded, S3 paths are signed as sent")
    func doubleEncoding() {
        #expect(SigV4Canonical.canonicalURI(wirePath: "/a%20b/c") == "/a%2520b/c")
        #expect(SigV4Canonical.canonicalURI(wirePath: "/a%20b/./c/../d", isS3: true) == "/a%20b/./c/../d")
        #expect(SigV4Canonical.canonicalURI(wirePath: "") == "/")
        #expect(SigV4Canonical.canonicalQueryString(wireQuery: "b=%2F%3D&a=x%20y&a=x") == "a=x&a=x%20y&b=%2F%3D")
    }
}
