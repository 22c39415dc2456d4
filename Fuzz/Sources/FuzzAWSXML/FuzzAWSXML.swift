import FuzzSupport
@testable import AegisAWS

/// A Query-protocol (IAM, STS) answer body → the XML tree, its error and request ID, as the
/// client reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAWSXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let tree = XMLTree.parse(bytes) {
        _ = tree.find("AccessKeyId")?.text
        _ = tree.path("CreateAccessKeyResult", "AccessKey")?.string("Status")
    }
    let response = AWSHTTPResponse(status: 400, headers: [], body: bytes)
    if let error = AWSClient.parseXMLError(response) { require(!error.code.isEmpty, "an XML error without a code") }
    _ = AWSClient.requestIDInBody(response)
    _ = AWSDate.parse(String(decoding: bytes.prefix(64), as: UTF8.self))
    return 0
}

@_cdecl("FuzzAWSXML_main")
public func fuzzAWSXMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzAWSXML)
}
