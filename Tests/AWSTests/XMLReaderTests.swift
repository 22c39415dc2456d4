@testable import AegisAWS
import Testing

/// The hand-written reader of Query-protocol XML (`XMLReader`): what AWS and moto send, and
/// what they never send but a hostile or broken endpoint might.
struct XMLReaderTests {
    func parse(_ text: String) -> XMLTree? { XMLTree.parse(Array(text.utf8)) }

    @Test func aQueryAnswerWithDeclarationNamespaceEntitiesAndCDATA() throws {
        let tree = try #require(parse("""
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- moto -->
            <CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
              <CreateAccessKeyResult><AccessKey>
                <UserName>a&amp;b &lt;c&gt; &#x41;&#66; &quot;&apos;</UserName>
                <SecretAccessKey><![CDATA[x<y>&z]]></SecretAccessKey>
                <Empty/><Status attr='a>b'>Active</Status>
              </AccessKey></CreateAccessKeyResult>
              <ResponseMetadata><RequestId>7a62c49f</RequestId></ResponseMetadata>
            </CreateAccessKeyResponse>
            """))
        #expect(tree.name == "CreateAccessKeyResponse")
        let key = try #require(tree.path("CreateAccessKeyResult", "AccessKey"))
        #expect(key.string("UserName") == "a&b <c> AB \"'")
        #expect(key.string("SecretAccessKey") == "x<y>&z")
        #expect(key.string("Empty") == "" && key.string("Status") == "Active")
        #expect(tree.find("RequestId")?.text == "7a62c49f")
    }

    @Test func malformedOrHostileDocumentsAreRefused() {
        let refused = [
            "", "   ", "text", "<a>", "<a></b>", "<a></a><b></b>", "<a>&unknown;</a>", "<a>&#0;</a>", "<a>&#x110000;</a>",
            "<a>&amp</a>", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a><!-- open</a>", "<a><![CDATA[open</a>",
            "<a b=\"open></a>", "</a>", "<>", "<a>x</a>trailing", String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
        ]
        for text in refused { #expect(parse(text) == nil, "accepted: \(text.prefix(60))") }
        #expect(parse(String(repeating: "<a>", count: 60) + String(repeating: "</a>", count: 60)) != nil)
    }
}
