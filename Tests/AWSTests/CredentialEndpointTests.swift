import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Testing

/// Web identity (STS), container credentials and IMDSv2 against fake servers on 127.0.0.1.
@Suite("credentials: web identity, container, IMDSv2 against loopback fakes")
struct CredentialEndpointTests {
    static let expiration = "2030-01-02T03:04:05Z"

    static func document(_ id: String, code: Bool = false) -> String {
        """
        {\(code ? #""Code":"Success","Type":"AWS-HMAC","# : "")"AccessKeyId":"\(id)","SecretAccessKey":"\(id)-secret","Token":"\(id)-token","Expiration":"\(expiration)"}
        """
    }

    @Test("web identity: unsigned AssumeRoleWithWebIdentity with the token file's JWT")
    func webIdentity() async throws {
        let sts = try await FakeHTTPServer.start { _ in
            .init(status: 200, headers: [("Content-Type", "text/xml")], body: """
                <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <AssumeRoleWithWebIdentityResult>
                    <Credentials>
                      <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
                      <SecretAccessKey>web-secret</SecretAccessKey>
                      <SessionToken>web-token</SessionToken>
                      <Expiration>\(Self.expiration)</Expiration>
                    </Credentials>
                  </AssumeRoleWithWebIdentityResult>
                  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
                </AssumeRoleWithWebIdentityResponse>
                """)
        }
        let folder = try TemporaryFolder()
        let tokenFile = folder.write("token", "eyJhbGciOiJSUzI1NiJ9.fake-jwt.sig\n")
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/aegis",
            "AWS_ROLE_SESSION_NAME": "aegis-test", "AWS_ENDPOINT_URL_STS": sts.baseURL.absoluteString, "AWS_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true", "HOME": folder.path,
        ]
        let found = try await DefaultCredentialChain.make(environment: environment).credentials()
        try await sts.stop()

        #expect(found?.accessKeyID == "ASIAWEBIDENTITY")
        #expect(found?.secretAccessKey.revealSecretString() == "web-secret")
        #expect(found?.sessionToken?.revealSecretString() == "web-token")
        #expect(found?.expiration == ISO8601DateFormatter().date(from: Self.expiration))
        let request = try #require(sts.requests.first)
        #expect(sts.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.header("Authorization") == nil)
        let form = Dictionary(uniqueKeysWithValues: request.bodyText.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        #expect(form["Action"] == "AssumeRoleWithWebIdentity")
        #expect(form["Version"] == "2011-06-15")
        #expect(form["RoleArn"] == "arn:aws:iam::123456789012:role/aegis")
        #expect(form["RoleSessionName"] == "aegis-test")
        #expect(form["WebIdentityToken"] == "eyJhbGciOiJSUzI1NiJ9.fake-jwt.sig")
    }

    @Test("web identity: an STS refusal is a typed error without the token")
    func webIdentityRefused() async throws {
        let sts = try await FakeHTTPServer.start { _ in
            .init(status: 400, body: """
                <ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found</Message></Error><RequestId>req-2</RequestId></ErrorResponse>
                """)
        }
        let folder = try TemporaryFolder()
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": folder.write("token", "secret-jwt-value"), "AWS_ROLE_ARN": "arn:aws:iam::1:role/x",
            "AWS_ENDPOINT_URL_STS": sts.baseURL.absoluteString, "AWS_REGION": "eu-west-1",
        ]
        let client = AWSClient(configuration: try AWSConfiguration(environment: environment), credentialProvider: nil)
        let error = await #expect(throws: AWSCredentialError.self) {
            try await WebIdentityCredentialProvider(environment: environment, client: client).credentials()
        }
        try await sts.stop()
        #expect(error?.description.contains("InvalidIdentityToken") == true)
        #expect(error?.description.contains("req-2") == true)
        #expect(error?.description.contains("secret-jwt-value") == false)
    }

    @Test("container: relative URI on the agent address (overridden to loopback)")
    func containerRelative() async throws {
        let agent = try await FakeHTTPServer.start { request in
            request.path == "/v2/credentials/abc" ? .init(body: Self.document("ASIACONTAINER")) : .init(status: 404)
        }
        let environment = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]
        let found = try await ContainerCredentialProvider(environment: environment, relativeBaseURL: agent.baseURL).credentials()
        try await agent.stop()
        #expect(found?.accessKeyID == "ASIACONTAINER")
        #expect(found?.sessionToken?.revealSecretString() == "ASIACONTAINER-token")
        #expect(agent.requests.first?.header("Authorization") == nil)
    }

    @Test("container: full URI with the Authorization token from a file (and from the variable)")
    func containerFullURI() async throws {
        let agent = try await FakeHTTPServer.start { request in
            ["pod-identity-token", "plain-token"].contains(request.header("Authorization") ?? "")
                ? .init(body: Self.document("ASIAPOD")) : .init(status: 401)
        }
        let folder = try TemporaryFolder()
        let fromFile = try await ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.baseURL.appendingPathComponent("creds").absoluteString,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": folder.write("token", "pod-identity-token\n"),
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-a-file-is-set",
        ]).credentials()
        let fromVariable = try await ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.baseURL.appendingPathComponent("creds").absoluteString,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "plain-token",
        ]).credentials()
        try await agent.stop()
        #expect(fromFile?.accessKeyID == "ASIAPOD")
        #expect(fromVariable?.accessKeyID == "ASIAPOD")
        #expect(agent.requests.map { $0.header("Authorization") } == ["pod-identity-token", "plain-token"])
    }

    @Test("container: plain http to a non-loopback host is refused before any request")
    func containerRefusesRemoteHTTP() async throws {
        let error = await #expect(throws: AWSCredentialError.self) {
            try await ContainerCredentialProvider(environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.9.8.7/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
            ]).credentials()
        }
        #expect(error?.description.contains("must be https") == true)
    }

    @Test("IMDSv2: PUT a token, then role name and credentials with the token header")
    func imdsV2() async throws {
        let imds = try await FakeHTTPServer.start { request in
            if request.method == "PUT", request.path == "/latest/api/token" {
                return request.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600" ? .init(body: "imds-session-token") : .init(status: 400)
            }
            guard request.method == "GET", request.header("X-aws-ec2-metadata-token") == "imds-session-token" else { return .init(status: 401) }
            switch request.path {
            case "/latest/meta-data/iam/security-credentials/": return .init(body: "aegis-instance-role\n")
            case "/latest/meta-data/iam/security-credentials/aegis-instance-role": return .init(body: Self.document("ASIAIMDS", code: true))
            default: return .init(status: 404)
            }
        }
        let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.baseURL.absoluteString, "HOME": try TemporaryFolder().path]
        let found = try await DefaultCredentialChain.make(environment: environment).credentials()
        #expect(found?.accessKeyID == "ASIAIMDS")
        #expect(found?.secretAccessKey.revealSecretString() == "ASIAIMDS-secret")
        #expect(found?.expiration == ISO8601DateFormatter().date(from: Self.expiration))
        #expect(imds.requests.map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/aegis-instance-role",
        ])

        let disabled = try await IMDSCredentialProvider(environment: [
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.baseURL.absoluteString, "AWS_EC2_METADATA_DISABLED": "true",
        ]).credentials()
        #expect(disabled == nil)
        #expect(imds.requests.count == 3)  // disabled: not asked at all
        try await imds.stop()
    }

    @Test("IMDS: no service at the endpoint means not configured")
    func imdsAbsent() async throws {
        let closedPort = try freeLoopbackPort()
        let found = try await IMDSCredentialProvider(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(closedPort)"]).credentials()
        #expect(found == nil)
    }
}
