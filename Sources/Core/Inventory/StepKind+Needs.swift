import Foundation

extension StepKind {
    /// What a production run of this step kind needs, named by its settings, for "not ready" answers.
    public func productionNeeds(_ step: StepDefinition) -> String {
        switch self {
        case .generate, .deployConfig, .restart, .verify, .promote, .graceCleanup, .notify:
            "the secret store and KUBECONFIG (or the in-cluster service account)"
        case .awaitProvidedKey:
            "the Slack bot (SLACK_APP_TOKEN, SLACK_BOT_TOKEN) for the key modal, or a value staged as AWSPENDING in the secret store"
        case .providerCheck, .revokeOldKey:
            switch step.text("provider") {
            case "anthropic": "ANTHROPIC_BASE_URL and an Anthropic admin key"
            case "openai": "OPENAI_BASE_URL and an OpenAI admin key"
            case "okta": "OKTA_ORG_URL and an Okta admin API token"
            default: "the provider's API endpoint and admin credential"
            }
        case .awsManagedRotation:
            "AWS Secrets Manager (AWS_REGION, AWS credentials; AWS_ENDPOINT_URL_SECRETS_MANAGER to override)"
        case .alterRolePassword:
            "DATABASE_URL (the admin connection for ALTER ROLE)"
        case .redisPassword:
            "REDIS_URL (the admin connection for ACL SETUSER / CONFIG SET requirepass)"
        case .iamAccessKey:
            "AWS IAM and STS (AWS credentials; AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS to override)"
        case .entraClientSecret:
            "Microsoft Graph and Azure Key Vault (AZURE_AUTHORITY_HOST, tenant, client ID and secret)"
        }
    }
}
