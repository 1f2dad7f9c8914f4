/// An environment whose observation fixes its picture, so that any
/// observation — also one a world model reconstructed or imagined — can be
/// drawn the way `render()` draws the state that shows it. Classic control
/// conforms (CartPole's [x, ẋ, θ, θ̇] places cart and pole; Pendulum's
/// [cos θ, sin θ, θ̇] the rod); envs whose picture holds more than their
/// observation (memory tasks, pixel worlds) do not.
public protocol ObservationDrawing: Environment {
    /// `observation`, laid out as `observationSpace`, drawn as `render()`
    /// draws a state that shows it. Values outside the space are drawn where
    /// they fall (a dreamed cart may leave the track).
    func draw(observation: [Float]) -> Frame
}

extension Environment {
    /// The environment that can draw this one's observations: itself, or the
    /// one inside wrappers that leave observations as they are (time limit,
    /// episode statistics, reward scaling, action repeat); nil otherwise.
    public var observationDrawing: (any ObservationDrawing)? {
        if let drawing = self as? any ObservationDrawing { return drawing }
        if let wrapper = self as? EnvironmentWrapper, wrapper.keepsObservations { return wrapper.inner.observationDrawing }
        return nil
    }
}
