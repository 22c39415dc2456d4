@testable import AegisAWS
import AegisCore
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Endpoints from the environment, error classification, timeouts.
@Suite("AWSClient: endpoints, errors, timeouts")
struct AWSClientBehaviourTests {
    /// Found by `FuzzAWSXML`: an error document whose `Code` is empty (or only an entity XMLParser
    /// does not expand) was an error with an empty code; it is now "no error shape", so the
    /// caller reports the HTTP status instead. Entities are never expanded (no entity bombs).
    @Test func anXMLErrorWithoutACodeIsNoErrorShape() {
        func parse(_ xml: String) -> (code: String, message: String)? {
            AWSClient.parseXMLError(AWSHTTPResponse(status: 400, headers: [], body: Array(xml.utf8)))
        }
        #expect(parse(#"<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Error><Code>&b;</Code></Error>"#) == nil)
        #expect(parse("<Error><Code></Code><Message>m</Message></Error>") == nil)
        #expect(parse("<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>gone</Message></Error></ErrorResponse>")?.code == "NoSuchEntity")
    }

    @Test("endpoints: per-service variable, then AWS_ENDPOINT_URL, then the public endpoint")
    func endpoints() throws {
        let publicOnly = try AWSConfiguration(environment: ["AWS_DEFAULT_REGION": "eu-central-1"])
        #expect(try publicOnly.endpoint(for: .secretsManager).absoluteString == "https://secretsmanager.eu-central-1.amazonaws.com")
        #expect(try publicOnly.endpoint(for: .sts).absoluteString == "https://sts.eu-central-1.amazonaws.com")
        #expect(try publicOnly.endpoint(for: .iam).absoluteString == "https://iam.amazonaws.com")
        #expect(try publicOnly.signingRegion(for: .iam) == "us-east-1")
        #expect(try publicOnly.signingRegion(for: .secretsManager) == "eu-central-1")

        let overridden = try AWSConfiguration(environment: [
            "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5000",
        ])
        #expect(overridden.region == "eu-west-1")
        #expect(try overridden.endpoint(for: .secretsManager).absoluteString == "http://127.0.0.1:5000")
        #expect(try overridden.endpoint(for: .iam).absoluteString == "http://127.0.0.1:4566")
        #expect(try overridden.endpoint(for: .sts).absoluteString == "http://127.0.0.1:4566")

        let noRegion = try AWSConfiguration(environment: [:])
        #expect(throws: AWSConfigurationError.self) { try noRegion.endpoint(for: .secretsManager) }
        #expect(try noRegion.endpoint(for: .sts).absoluteString == "https://sts.amazonaws.com")
        #expect(throws: AWSConfigurationError.self) { try AWSConfiguration(environment: ["AWS_ENDPOINT_URL_IAM": "not a url"]) }
    }

    @Test("transient: 5xx, 429, throttling codes, timeouts; not: refusals")
    func transientClassification() {
        func service(_ code: String, _ status: Int) -> AWSError {
            AWSError(kind: .service, service: "secretsmanager", operation: "GetSecretValue", code: code, message: "m", httpStatus: status)
        }
        #expect(service("InternalServiceError", 500).isTransient)
        #expect(service("ThrottlingException", 400).isTransient)
        #expect(service("Throttling", 400).isTransient)
        #expect(service("TooManyRequests", 429).isTransient)
        #expect(!service("AccessDeniedException", 400).isTransient)
        #expect(!service("LimitExceeded", 409).isTransient)
        #expect(AWSError(kind: .timeout, service: "iam", operation: "ListAccessKeys", code: "RequestTimeout", message: "").isTransient)
        #expect(!AWSError(kind: .credentials, service: "iam", operation: "ListAccessKeys", code: "NoCredentials", message: "").isTransient)

        let adapter = service("ThrottlingException", 400).adapterError
        #expect(adapter.system == "AWS Secrets Manager")
        #expect(adapter.operation == "GetSecretValue")
        #expect(adapter.isTransient)
        #expect(adapter.description == "AWS Secrets Manager GetSecretValue: ThrottlingException: m (HTTP 400)")
    }

    @Test("messages keep their first line only: AWS appends the canonical request (and token) to SignatureDoesNotMatch")
    func messageSanitized() {
        let error = AWSError(kind: .service, service: "sts", operation: "GetCallerIdentity", code: "SignatureDoesNotMatch",
                             message: "The request signature we calculated does not match.\n\nThe Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:SESSION-TOKEN-CANARY'",
                             requestID: "r-1", httpStatus: 403)
        #expect(error.description == "sts GetCallerIdentity: SignatureDoesNotMatch: The request signature we calculated does not match. (HTTP 403, request r-1)")
        #expect(!error.description.contains("SESSION-TOKEN-CANARY"))
    }

    @Test("a server that never answers: a transient timeout, surfaced as core's AdapterError by the store")
    func timeout() async throws {
        // Accepts connections and never answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(silent.localAddress?.port)
        let configuration = try AWSConfiguration(
            environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_REGION": "us-east-1"], timeout: .milliseconds(300))
        let client = AWSClient(configuration: configuration, credentialProvider: StaticCredentialProvider(
            AWSCredentials(accessKeyID: "AKIDTIMEOUT", secretAccessKey: SecretValue(utf8: "timeout-secret"))))
        let started = ContinuousClock.now
        let error = await #expect(throws: AWSError.self) { try await STSClient(client: client).callerIdentity() }
        #expect(error?.kind == .timeout)
        #expect(error?.isTransient == true)
        #expect(ContinuousClock.now - started < .seconds(10))

        let store = SecretsManagerStore(client: client)
        let adapterError = await #expect(throws: AdapterError.self) {
            try await store.versions(secret: StorageLocation(kind: .awsSecretsManager, name: "slow"))
        }
        #expect(adapterError?.isTransient == true)
        #expect(adapterError?.description.contains("timeout-secret") == false)
        try await silent.close()
    }
}
