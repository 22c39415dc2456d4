import Foundation

extension AWSClient {
    /// Calls a Query-protocol operation: `POST /` with a form body `Action=…&Version=…&…`
    /// (RFC 3986 encoded); returns the parsed XML answer.
    ///
    /// `parameters` may include secret values (a web identity token): they go on the wire only.
    public func query(
        _ service: AWSService, action: String, parameters: [(String, String)] = [], signing: Signing = .provider
    ) async throws(AWSError) -> XMLTree {
        guard case .query(let version) = service.wireProtocol else {
            preconditionFailure("\(service.signingName) does not speak the Query protocol")
        }
        let body = Array(SigV4Canonical.encodeQuery([("Action", action), ("Version", version)] + parameters).utf8)
        let response = try await post(
            service: service, operation: action,
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: body, signing: signing, parseError: Self.parseXMLError)
        guard let tree = XMLTree.parse(response.body) else {
            throw AWSError.invalidResponse(service, action, "the answer was not XML",
                                           requestID: response.header("x-amzn-RequestId"), httpStatus: response.status)
        }
        return tree
    }

    /// `<Action>Result` of a Query answer, or an `AWSError` naming what is missing.
    func result(_ tree: XMLTree, service: AWSService, action: String) throws(AWSError) -> XMLTree {
        guard let result = tree.find("\(action)Result") else {
            throw AWSError.invalidResponse(service, action, "the answer has no \(action)Result")
        }
        return result
    }

    /// Calls `action` and reads the first `element` of its Result with `parse`; an answer
    /// without one `parse` accepts is an `AWSError` naming `element` and `subject` (an ID, never
    /// a value).
    func queryRecord<Record>(
        _ service: AWSService, action: String, parameters: [(String, String)], element: String, subject: String,
        parse: (XMLTree) -> Record?
    ) async throws(AWSError) -> Record {
        let tree = try await query(service, action: action, parameters: parameters)
        guard let record = try result(tree, service: service, action: action).find(element).flatMap(parse) else {
            throw AWSError.invalidResponse(service, action, "the answer has no \(element) \(subject)")
        }
        return record
    }
}
