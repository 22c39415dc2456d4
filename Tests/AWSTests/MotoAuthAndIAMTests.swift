import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Testing

/// Signature checking, IAM access keys and STS against moto with auth on.
@Suite("moto: signatures, IAM access keys, STS", .timeLimit(.minutes(2)))
struct MotoAuthAndIAMTests {
    @Test("a wrong secret is SignatureDoesNotMatch, an unknown key InvalidClientTokenId, both typed and secret-free")
    func refusedSignatures() async throws {
        try await MotoServer.withMoto { moto in
            let secret = StorageLocation(kind: .awsSecretsManager, name: "auth-check")
            try await SecretsManagerStore(client: try moto.client())
                .createSecret(name: secret.name, versionID: "v-" + UUID().uuidString.lowercased(), value: SecretValue(utf8: "x"))

            let wrongSecret = "WRONG-secret-\(UUID().uuidString)"
            let wrong = AWSCredentials(accessKeyID: moto.admin.accessKeyID, secretAccessKey: SecretValue(utf8: wrongSecret))
            let wrongStore = SecretsManagerStore(client: try moto.client(wrong))
            let signatureError = await #expect(throws: AWSError.self) { try await wrongStore.describe(secret: secret) }
            #expect(signatureError?.code == "SignatureDoesNotMatch")
            #expect(signatureError?.kind == .service)
            #expect(signatureError?.httpStatus == 403)
            #expect(signatureError?.isTransient == false)
            for text in [signatureError.map(String.init(describing:)) ?? "", "\(signatureError?.adapterError.description ?? "")"] {
                expectNoSecret(in: text, [wrongSecret, moto.admin.secretAccessKey.revealSecretString()], context: "the error description")
                #expect(text.contains("SignatureDoesNotMatch"))
            }

            // The same refusal through the SecretStore protocol is core's AdapterError.
            let adapterError = await #expect(throws: AdapterError.self) { try await wrongStore.versions(secret: secret) }
            #expect(adapterError?.isTransient == false)
            #expect(adapterError?.description.contains("SignatureDoesNotMatch") == true)
            expectNoSecret(in: adapterError?.description ?? "", [wrongSecret], context: "the AdapterError")

            let unknown = AWSCredentials(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: SecretValue(utf8: wrongSecret))
            let unknownError = await #expect(throws: AWSError.self) {
                try await STSClient(client: try moto.client(unknown)).callerIdentity()
            }
            #expect(unknownError?.code == "InvalidClientTokenId")
            expectNoSecret(in: unknownError.map(String.init(describing:)) ?? "", [wrongSecret], context: "the InvalidClientTokenId error")

            let iamError = await #expect(throws: AWSError.self) {
                try await IAMAccessKeys(client: try moto.client(wrong)).listAccessKeys(userName: moto.userName)
            }
            #expect(iamError?.code == "SignatureDoesNotMatch")
        }
    }

    @Test("IAM keys: create two, the third is LimitExceeded; STS proves a new key; deactivate and delete")
    func accessKeyLifecycle() async throws {
        try await MotoServer.withMoto { moto in
            let client = try moto.client()
            let iam = IAMAccessKeys(client: client)
            let user = "rotating-app"
            _ = try await client.query(.iam, action: "CreateUser", parameters: [("UserName", user)])
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#
            _ = try await client.query(.iam, action: "PutUserPolicy",
                                       parameters: [("UserName", user), ("PolicyName", "whoami"), ("PolicyDocument", policy)])

            let first = try await iam.createAccessKey(userName: user)
            let second = try await iam.createAccessKey(userName: user)
            #expect(first.metadata.accessKeyID != second.metadata.accessKeyID)
            #expect(first.metadata.status == .active)
            #expect(first.secretAccessKey.byteCount >= 20)
            expectNoSecret(in: "\(first) \(first.credentials)", [first.secretAccessKey.revealSecretString()], context: "the new key's description")

            let limit = await #expect(throws: AWSError.self) { try await iam.createAccessKey(userName: user) }
            #expect(limit?.code == "LimitExceeded")
            #expect(limit?.isTransient == false)
            expectNoSecret(in: limit.map(String.init(describing:)) ?? "", [first.secretAccessKey.revealSecretString()], context: "the LimitExceeded error")

            let identity = try await STSClient(client: client).callerIdentity(credentials: first.credentials)
            #expect(identity.arn.hasSuffix("user/\(user)"))
            #expect(identity.account == "123456789012")

            var keys = try await iam.listAccessKeys(userName: user)
            #expect(Set(keys.map(\.accessKeyID)) == [first.metadata.accessKeyID, second.metadata.accessKeyID])
            #expect(keys.allSatisfy { $0.status == .active })

            try await iam.updateAccessKey(accessKeyID: first.metadata.accessKeyID, status: .inactive, userName: user)
            keys = try await iam.listAccessKeys(userName: user)
            #expect(keys.first { $0.accessKeyID == first.metadata.accessKeyID }?.status == .inactive)
            #expect(keys.first { $0.accessKeyID == second.metadata.accessKeyID }?.status == .active)

            let lastUsed = try await iam.accessKeyLastUsed(accessKeyID: second.metadata.accessKeyID)
            #expect(lastUsed.userName == user)

            try await iam.deleteAccessKey(accessKeyID: first.metadata.accessKeyID, userName: user)
            keys = try await iam.listAccessKeys(userName: user)
            #expect(keys.map(\.accessKeyID) == [second.metadata.accessKeyID])
        }
    }
}
