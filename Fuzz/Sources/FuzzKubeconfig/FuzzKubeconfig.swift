import AegisKubernetes
import Foundation
import FuzzSupport

let base = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-fuzz-kubeconfig").path

/// A kubeconfig file → the context's cluster and credential. Paths in it are read with the
/// bot's bounded reader (a regular file of at most 1 MiB), so `/dev/zero` or a FIFO cannot
/// hang it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKubeconfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    if let config = try? KubeConfig.parse(text, baseDirectory: base) {
        require(config.server.scheme == "https" || config.server.scheme == "http", "a server that is not http(s) was accepted")
    }
    return 0
}

@_cdecl("FuzzKubeconfig_main")
public func fuzzKubeconfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzKubeconfig)
}
