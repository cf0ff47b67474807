package navette

// ESTEPUP is the code of a refusal because the action needs a fresh strong
// authentication (a step-up): the person must give their passkey or TOTP
// code again, then retry. HTTP answers it 401 with the problem type
// "tag:navette,2026:problem:step_up_required".
const ESTEPUP = "step_up_required"

// EventSteppedUp: a person gave a second factor again within a session,
// before a sensitive action. Detail is the factor: "passkey" or "totp".
const EventSteppedUp EventType = "session.stepped_up"
