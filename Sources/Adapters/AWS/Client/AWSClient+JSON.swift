import Foundation

extension AWSClient {
    /// Calls a JSON 1.1 operation: `POST /` with `X-Amz-Target: <prefix>.<operation>` and the
    /// input encoded as JSON; decodes the output. Dates in AWS JSON are epoch seconds.
    public func json<Input: Encodable, Output: Decodable>(
        _ service: AWSService, operation: String, input: Input, output: Output.Type = Output.self, signing: Signing = .provider
    ) async throws(AWSError) -> Output {
        guard case .json(let prefix) = service.wireProtocol else {
            preconditionFailure("\(service.signingName) does not speak JSON 1.1")
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let body: [UInt8]
        do {
            body = Array(try encoder.encode(input))
        } catch {
            throw AWSError(kind: .invalidResponse, service: service.signingName, operation: operation,
                           code: "InvalidInput", message: "the request could not be encoded")
        }
        let response = try await post(
            service: service, operation: operation,
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(prefix).\(operation)")],
            body: body, signing: signing, parseError: Self.parseJSONError)
        do {
            return try Self.decodeJSONOutput(response.body, as: Output.self)
        } catch {
            // The decoding error's text may quote the body (which can hold a secret value): name the type only.
            throw AWSError.invalidResponse(service, operation, "the answer did not match \(Output.self)",
                                           requestID: response.header("x-amzn-RequestId"), httpStatus: response.status)
        }
    }
}

extension AWSClient {
    /// A JSON 1.1 answer's body as `Output`: dates are epoch seconds, an empty body is `{}`.
    static func decodeJSONOutput<Output: Decodable>(_ body: [UInt8], as: Output.Type) throws -> Output {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(Output.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
    }
}

/// An empty JSON object, for operations without input or whose output is not needed.
public struct AWSEmpty: Codable, Sendable {
    public init() {}
}
