import FuzzSupport
@testable import AegisAWS

/// A JSON 1.1 answer body (Secrets Manager) and a credentials document (IMDS, the container
/// endpoint) → the shapes the client decodes, and the error parser. The first byte picks which.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAWSJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    switch selector % 6 {
    case 0: _ = try? AWSClient.decodeJSONOutput(body, as: GetSecretValueOutput.self)
    case 1: _ = try? AWSClient.decodeJSONOutput(body, as: ListSecretVersionIdsOutput.self)
    case 2: _ = try? AWSClient.decodeJSONOutput(body, as: DescribeSecretOutput.self)
    case 3: _ = try? AWSClient.decodeJSONOutput(body, as: SecretVersionOutput.self)
    case 4: _ = try? TemporaryCredentialsDocument.decode(body, provider: "fuzz")
    default:
        let response = AWSHTTPResponse(status: 400, headers: [("x-amzn-ErrorType", "Fuzz:http://x")], body: body)
        _ = AWSClient.parseAnyError(response)
        _ = AWSClient.parseJSONError(AWSHTTPResponse(status: 400, headers: [], body: body))
    }
    return 0
}

@_cdecl("FuzzAWSJSON_main")
public func fuzzAWSJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzAWSJSON)
}
