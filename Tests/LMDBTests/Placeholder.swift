import XCTest
final class LMDBTestsPlaceholder: XCTestCase { func testNothing() {} }
