import XCTest
final class IndexTestsPlaceholder: XCTestCase { func testNothing() {} }
