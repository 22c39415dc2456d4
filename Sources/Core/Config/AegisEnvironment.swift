import Foundation
/// `AEGIS_ENV`: which stores and deploy targets a rotation touches.
///
/// `local` is a sandbox: every store and deploy target is the embedded, file-backed one.
/// `production` uses the stores and targets the Commands files name. It is never switched
/// implicitly, for example by missing credentials: a production bot without AWS credentials
/// fails loudly instead of quietly rotating a sandbox.
public enum AegisEnvironment: String, Sendable, Codable, CaseIterable {
    case local
    case production
}
