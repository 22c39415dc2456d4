import AegisCore
import Foundation

/// Hands out the bearer token for each request. A token file is cached for `refreshInterval`
/// (client-go uses a minute) and re-read after that, or at once after a 401, so a rotated
/// projected service-account token is picked up without a restart.
actor BearerTokenSource {
    let credential: KubeCredential
    let refreshInterval: Duration
    private var cached: (token: SecretValue, readAt: ContinuousClock.Instant)?

    init(_ credential: KubeCredential, refreshInterval: Duration) {
        self.credential = credential
        self.refreshInterval = refreshInterval
    }

    var rereadable: Bool {
        if case .tokenFile = credential { return true }
        return false
    }

    func token(forceReload: Bool = false) throws -> SecretValue? {
        switch credential {
        case .none: return nil
        case .token(let token): return token
        case .tokenFile(let path):
            if !forceReload, let cached, ContinuousClock.now - cached.readAt < refreshInterval { return cached.token }
            guard let data = BoundedFile.contents(path) else {
                throw KubeConfigError("cannot read the token file \(path)")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let token = SecretValue(utf8: text)
            cached = (token, .now)
            return token
        }
    }
}
