/** Message parts: tools, reasoning, steps, files, notes for compactions, subtasks and synthetic parts (src/components/parts, src/render/parts.ts). */
export default {
  /** The link from a subtask (note or `task` tool call) to the child session it ran in. */
  openSubtaskSession: 'Open subtask session',
  /** One-line notes (src/render/parts.ts `PartNote`, shown by NotePart). */
  note: {
    /** A `patch` part: how many files, then their names. */
    patch: 'Changed {count} file: {files} | Changed {count} files: {files}',
    /** An `agent` part (an @mention of an agent). */
    agent: "{'@'}{agent}",
    /** A `subtask` part: its head (command or "Subtask"), description and agent. */
    subtask: "{head} · {description} · {'@'}{agent}",
    /** A `subtask` part without a description. */
    subtaskWithoutDescription: "{head} · {'@'}{agent}",
    /** A subtask's head when it came from a command. */
    subtaskCommand: '/{command}',
    /** A subtask's head without a command. */
    subtaskHead: 'Subtask',
    /** A `retry` part: the attempt number and the server's error message. */
    retry: 'Retry {attempt}: {message}',
    compacted: 'Session compacted',
    compactedAutomatically: 'Session compacted automatically',
    compactedOverflow: 'Session compacted: the context window was full',
    /** A part type this build does not know (a newer server). */
    unsupported: 'Unsupported part type: {type}',
    /** The type `unsupported` names when the part has none. */
    unknownType: 'unknown',
    showPrompt: 'Show prompt',
    hidePrompt: 'Hide prompt',
  },
  reasoning: {
    thinking: 'Thinking…',
    thoughts: 'Thoughts',
    thoughtFor: 'Thought for {duration}',
  },
  stepFinish: {
    /** Title of the step's line: the model's finish reason (`stop`, `tool-calls`, …). */
    finishReason: 'Finish reason: {reason}',
    input: '↑ {tokens} in',
    output: '↓ {tokens} out',
    reasoning: '{tokens} reasoning',
    cache: 'cache {read} / {write}',
  },
  synthetic: {
    /** Default label of text OpenCode added to the conversation. */
    addedByOpenCode: 'Added by OpenCode',
  },
  tool: {
    status: {
      pending: 'Pending',
      running: 'Running',
      completed: 'Done',
      error: 'Failed',
    },
    /** Section labels of an open tool call. */
    input: 'Input',
    changes: 'Changes',
    output: 'Output',
    error: 'Error',
    noOutput: '(no output)',
  },
}
