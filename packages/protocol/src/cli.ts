// The `--json` output of every `muster` and `muster-node` command.
import { z } from "zod";
import { AskList, AskView, JoinKeyCreated, JoinKeyList, JoinKeyView, LogEntry, NodeList, NodeView, Status, TaskDetail, TaskList, TaskView, TellView, TokenCreated, TokenList, TokenView, WhoAmI } from "./http.js";
import { LocalAnswer, LocalTold } from "./local.js";
import { Id, Labels } from "./values.js";

export const CliStatusOutput = Status;
export const CliNodesOutput = NodeList;
export const CliNodeOutput = NodeView;
export const CliTasksOutput = TaskList;
export const CliTaskOutput = TaskDetail;
/** `muster submit --json`: the task as created, or as finished with `--wait`. */
export const CliSubmitOutput = TaskView;
export const CliCancelOutput = TaskView;
/** `muster retry --json`: the task back in the queue. */
export const CliRetryOutput = TaskView;
/** `muster logs --json` prints one LogEntry per line. */
export const CliLogLine = LogEntry;
export const CliJoinKeyCreateOutput = JoinKeyCreated;
export const CliJoinKeyListOutput = JoinKeyList;
export const CliJoinKeyRevokeOutput = JoinKeyView;
/** `muster tokens create --json`: it includes the token, shown once. */
export const CliTokenCreateOutput = TokenCreated;
export const CliTokenListOutput = TokenList;
export const CliTokenRevokeOutput = TokenView;
export const CliLoginOutput = z.object({ url: z.string(), configPath: z.string(), identity: WhoAmI });
/** `muster logout --json`: `removed` is false when the file held no token. */
export const CliLogoutOutput = z.object({ configPath: z.string(), removed: z.boolean() });
export const CliAsksOutput = AskList;
/** `muster asks wait --json` and `muster answer --json`. */
export const CliAskOutput = AskView;
/** `muster ask --json` (inside a worker): the answer its node handed back. */
export const CliAskAnswerOutput = LocalAnswer.omit({ op: true });
/** `muster told --json` (inside a worker): the messages not read before. */
export const CliToldOutput = LocalTold.omit({ op: true });
/** `muster tell --json`. */
export const CliTellOutput = TellView;
/** `muster doctor --json`: each check in order; the command exits 1 when any failed. */
export const CliDoctorOutput = z.object({
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
});
export type CliDoctorOutput = z.infer<typeof CliDoctorOutput>;
export const CliErrorOutput = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** `muster-node join --json`. */
export const NodeJoinOutput = z.object({
  nodeId: Id,
  name: z.string(),
  url: z.string(),
  configPath: z.string(),
  labels: Labels,
  capacity: z.number().int(),
});
export type NodeJoinOutput = z.infer<typeof NodeJoinOutput>;

/** CLI exit codes. */
export const ExitCode = {
  ok: 0,
  /** The command failed: an API error, a task that did not succeed with --wait. */
  failure: 1,
  /** Bad usage: unknown flag, bad value. */
  usage: 2,
  /** Cannot reach the coordinator. */
  unreachable: 3,
  /** Not signed in, or the token was refused. */
  auth: 4,
} as const;
