// Builds the offer a node receives for a claim, from the task as stored.
import type { ClaimOffer } from "@muster/protocol";
import type { ClaimRow, TaskRow } from "./fencing.js";

export function buildOffer(task: TaskRow, claim: ClaimRow, leaseMs: number): ClaimOffer {
  return {
    claimId: claim.id,
    taskId: task.id,
    token: claim.token,
    attempt: claim.attempt,
    leaseMs,
    task: {
      agent: task.agent,
      argv: task.argv,
      prompt: task.prompt,
      model: task.model,
      thinking: task.thinking,
      env: task.env,
      timeoutMs: task.timeoutMs,
      onDisconnect: task.onDisconnect as ClaimOffer["task"]["onDisconnect"],
      maxCostUsd: task.maxCostUsd,
      repo: task.repo ? { url: task.repo, ref: task.ref } : null,
      verify: task.verify,
      idleTimeoutMs: task.idleTimeoutMs,
      outputCapBytes: task.outputCapBytes,
      approveBefore: task.approveBefore as ClaimOffer["task"]["approveBefore"],
      // Only when set, so offers of other tasks stay as they were.
      ...(task.approveTools ? { approveTools: task.approveTools, approveToolsTimeoutMs: task.approveToolsTimeoutMs } : {}),
      ...(task.network === "none" ? { network: "none" as const } : {}),
    },
  };
}
