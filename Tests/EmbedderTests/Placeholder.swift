import XCTest
final class EmbedderTestsPlaceholder: XCTestCase { func testNothing() {} }
