import Foundation
import XCTest
@testable import Ferry

/// Two nodes in one process on loopback exchange a share (run on a Mac
/// with `swift test` after build-xcframework.sh).
final class FerryTests: XCTestCase {
    func tempDir(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-swift-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func node(_ name: String) async throws -> FerryNode {
        try await FerryNode.start(config: FerryConfig(
            dataDir: try tempDir(name), deviceName: name, relay: "disabled", bindAddr: "127.0.0.1:0"))
    }

    func testTwoNodesExchangeAShare() async throws {
        let laptop = try await node("laptop")
        let phone = try await node("phone")
        let src = try tempDir("src")
        let data = Data((0..<100_000).map { UInt8($0 % 251) })
        let file = (src as NSString).appendingPathComponent("photo.jpg")
        try data.write(to: URL(fileURLWithPath: file))

        let share = try await laptop.share(paths: [file], text: nil)
        XCTAssertEqual(share.files, 1)
        let out = try tempDir("out")
        let summary = try await phone.receive(ticket: share.ticket, outDir: out)
        XCTAssertEqual(summary.bytes, 100_000)
        let received = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("photo.jpg")))
        XCTAssertEqual(received, data)
        await laptop.shutdown()
        await phone.shutdown()
    }

    func testErrorsAreTyped() async throws {
        let phone = try await node("phone")
        do {
            _ = try await phone.receive(ticket: "not a ticket", outDir: try tempDir("out"))
            XCTFail("a bad ticket was accepted")
        } catch FerryError.InvalidInput(let message) {
            XCTAssertFalse(message.isEmpty)
        }
        await phone.shutdown()
    }
}
