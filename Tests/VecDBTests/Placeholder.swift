import XCTest
final class VecDBTestsPlaceholder: XCTestCase { func testNothing() {} }
