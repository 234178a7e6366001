import Hummingbird
import NIOCore

/// The request context of the simulator's server: keeps the connection's channel so that an
/// injected failure can close it without answering.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
