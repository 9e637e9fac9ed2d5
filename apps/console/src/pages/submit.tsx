// The "New task" form: what `muster submit` does, with field errors before the coordinator sees the task.
import {
  AgentName,
  CreateTaskRequest,
  parseDuration,
  parseSelector,
  Status,
  TaskView,
} from "@muster/protocol";
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from "react";
import { Field, type ControlProps } from "../components/field";
import { api, ApiError, errorText } from "../api";
import { useResource } from "../live";
import { navigate } from "../router";
import { splitCommand } from "./task-common";
import "./tasks.css";

type FieldName = "agent" | "prompt" | "name" | "labels" | "priority" | "timeout" | "maxAttempts" | "repo" | "ref" | "model" | "approveTools";
type Draft = Record<FieldName, string>;
type Errors = Partial<Record<FieldName, string>>;

const EMPTY: Draft = { agent: "exec", prompt: "", name: "", labels: "", priority: "", timeout: "", maxAttempts: "", repo: "", ref: "", model: "", approveTools: "" };
const MAX_TIMEOUT_MS = 7 * 86_400_000;
/** Order of the fields on screen, to focus the first one that is wrong. */
const ORDER: FieldName[] = ["agent", "name", "prompt", "labels", "priority", "timeout", "maxAttempts", "repo", "ref", "model", "approveTools"];
const ADVANCED: FieldName[] = ["model", "repo", "ref", "approveTools"];

/** Request fields (as the coordinator names them in errors) → form fields. */
const FIELD_OF: Record<string, FieldName> = {
  agent: "agent",
  argv: "prompt",
  prompt: "prompt",
  name: "name",
  labels: "labels",
  selector: "labels",
  priority: "priority",
  timeoutMs: "timeout",
  maxAttempts: "maxAttempts",
  repo: "repo",
  ref: "ref",
  model: "model",
  approveTools: "approveTools",
};

interface AgentChoice {
  name: string;
  nodes: number;
  online: number;
}

/** Checks the draft and builds the request body; field errors instead when something is wrong. */
function validate(d: Draft): { errors: Errors; body?: CreateTaskRequest } {
  const errors: Errors = {};
  const body: Record<string, unknown> = {};
  const agent = d.agent.trim();
  if (!agent) errors.agent = "Choose an agent.";
  else if (!AgentName.safeParse(agent).success) errors.agent = "Agent names are lower-case letters, digits, _ and -.";
  body.agent = agent;

  if (agent === "exec") {
    if (!d.prompt.trim()) errors.prompt = "Type the command to run, e.g. echo hello.";
    else {
      try {
        const argv = splitCommand(d.prompt);
        if (argv.length === 0) errors.prompt = "Type the command to run, e.g. echo hello.";
        else if (argv[0] === "") errors.prompt = "The command name is empty.";
        body.argv = argv;
      } catch (err) {
        errors.prompt = `The command cannot be split into arguments: ${errorText(err)}.`;
      }
    }
  } else if (!d.prompt.trim()) errors.prompt = `Tell ${agent || "the agent"} what to do.`;
  else body.prompt = d.prompt;

  const name = d.name.trim();
  if (name.length > 200) errors.name = "At most 200 characters.";
  else if (name) body.name = name;

  const labels = d.labels.trim();
  if (labels) {
    try {
      parseSelector(labels);
      body.selector = labels;
    } catch (err) {
      errors.labels = `${errorText(err)}. Use key=value pairs separated by commas, e.g. gpu=true, zone=eu.`;
    }
  }

  const priority = d.priority.trim();
  if (priority) {
    if (!/^[+-]?\d+$/.test(priority)) errors.priority = "A whole number, e.g. 10 (higher runs first).";
    else if (Math.abs(Number(priority)) > 1000) errors.priority = "Between -1000 and 1000.";
    else body.priority = Number(priority);
  }

  const timeout = d.timeout.trim();
  if (timeout) {
    try {
      const ms = parseDuration(timeout.replace(/\s+/g, ""));
      if (ms <= 0) errors.timeout = "The timeout must be longer than 0.";
      else if (ms > MAX_TIMEOUT_MS) errors.timeout = "At most 7 days (7d).";
      else body.timeoutMs = ms;
    } catch {
      errors.timeout = "A duration such as 90s, 30m, 2h or 1h30m.";
    }
  }

  const maxAttempts = d.maxAttempts.trim();
  if (maxAttempts) {
    if (!/^\d+$/.test(maxAttempts) || Number(maxAttempts) < 1 || Number(maxAttempts) > 20) errors.maxAttempts = "A whole number from 1 to 20.";
    else body.maxAttempts = Number(maxAttempts);
  }

  const model = d.model.trim();
  if (model.length > 200) errors.model = "At most 200 characters.";
  else if (model) body.model = model;
  const repo = d.repo.trim();
  const ref = d.ref.trim();
  if (repo) body.repo = repo;
  if (ref) {
    if (!repo) errors.ref = "A ref needs a repository.";
    else body.ref = ref;
  }

  const approveTools = d.approveTools.trim();
  if (approveTools) body.approveTools = approveTools === "all" ? "all" : approveTools.split(",").map((t) => t.trim()).filter(Boolean);

  if (Object.keys(errors).length > 0) return { errors };
  // The schema the coordinator applies catches whatever the checks above did not.
  const parsed = CreateTaskRequest.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = FIELD_OF[String(issue.path[0] ?? "")] ?? "prompt";
      errors[field] ??= issue.message;
    }
    return { errors };
  }
  return { errors, body: parsed.data };
}

/** Maps "timeoutMs: too big; prompt: …" from a 400 to the fields it names. */
function serverFieldErrors(message: string): Errors {
  const errors: Errors = {};
  for (const part of message.split("; ")) {
    const m = /^([A-Za-z]+)(?:\.[\w.]+)?: (.+)$/.exec(part);
    const field = m ? FIELD_OF[m[1]!] : undefined;
    if (field && m) errors[field] ??= m[2]!;
  }
  return errors;
}

export function SubmitTaskForm({ onClose }: { onClose: () => void }) {
  const uid = useId();
  const id = (f: string) => `${uid}-${f}`;
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const advancedRef = useRef<HTMLDetailsElement>(null);

  const status = useResource(
    () => api.get("/v1/status", Status),
    [],
    (e) => e.type === "node",
  );
  const agents = useMemo<AgentChoice[]>(() => {
    const byName = new Map<string, AgentChoice>([["exec", { name: "exec", nodes: 0, online: 0 }]]);
    for (const n of status.data?.nodes ?? []) {
      if (n.state === "revoked") continue;
      const names = new Set(n.agents.map((a) => a.name));
      names.add("exec");
      for (const name of names) {
        const a = byName.get(name) ?? { name, nodes: 0, online: 0 };
        a.nodes++;
        if (n.connected && !n.cordoned && !n.draining) a.online++;
        byName.set(name, a);
      }
    }
    return [...byName.values()].sort((a, b) => (a.name === "exec" ? 1 : b.name === "exec" ? -1 : a.name.localeCompare(b.name)));
  }, [status.data]);

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>("select, input, textarea")?.focus();
  }, []);

  const set = (f: FieldName) => (value: string) => {
    setDraft((d) => ({ ...d, [f]: value }));
    // A fixed field loses its error as soon as it is touched.
    if (errors[f]) setErrors((e) => ({ ...e, [f]: undefined }));
  };

  const focusFirst = (errs: Errors) => {
    const first = ORDER.find((f) => errs[f]);
    if (!first) return;
    if (ADVANCED.includes(first) && advancedRef.current) advancedRef.current.open = true;
    // After React has rendered the error (and opened the section).
    requestAnimationFrame(() => document.getElementById(id(first))?.focus());
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busy) return;
    setFormError(null);
    const { errors: errs, body } = validate(draft);
    setErrors(errs);
    if (!body) {
      setFormError(`Check ${Object.keys(errs).length === 1 ? "the marked field" : "the marked fields"}; the task was not submitted.`);
      focusFirst(errs);
      return;
    }
    setBusy(true);
    try {
      const task = await api.post("/v1/tasks", body, TaskView);
      navigate(`/tasks/${encodeURIComponent(task.id)}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && (err.status === 400 || err.status === 422)) {
        const fieldErrs = serverFieldErrors(err.message);
        setErrors(fieldErrs);
        setFormError(`The coordinator did not accept the task: ${err.message}`);
        focusFirst(fieldErrs);
      } else if (err instanceof ApiError && err.status === 403) {
        setFormError(`You cannot submit tasks: ${err.message}`);
      } else setFormError(`The task was not submitted: ${errorText(err)}`);
    }
  };

  const isExec = draft.agent === "exec";
  let argvPreview: string[] | null = null;
  if (isExec && draft.prompt.trim()) {
    try {
      argvPreview = splitCommand(draft.prompt);
    } catch {
      argvPreview = null;
    }
  }
  const chosen = agents.find((a) => a.name === draft.agent);
  const agentHelp = status.error
    ? `The fleet's agents could not be loaded (${errorText(status.error)}); exec is always there.`
    : !status.data
      ? "Loading the agents the fleet's nodes offer…"
      : chosen && chosen.online > 0
        ? `Offered by ${chosen.online} ${chosen.online === 1 ? "node" : "nodes"} that can take work now.`
        : "No node that can take work offers this agent now; the task waits in the queue until one does.";

  const field = (f: FieldName, label: string, help: ReactNode, control: (p: ControlProps) => ReactNode, className?: string) => (
    <Field key={f} id={id(f)} label={label} help={help} error={errors[f]} className={className}>
      {control}
    </Field>
  );
  const text = (f: FieldName, extra: Partial<InputHTMLAttributes<HTMLInputElement>> = {}) => (p: ControlProps) => (
    <input {...p} type="text" value={draft[f]} onChange={(e) => set(f)(e.target.value)} {...extra} />
  );

  return (
    <section className="card section submit-card" aria-labelledby={id("title")}>
      <h2 id={id("title")}>New task</h2>
      <form
        ref={formRef}
        noValidate
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === "Escape" && !busy) {
            e.preventDefault();
            onClose();
          }
        }}
      >
        <div className="form-grid submit-grid">
          {field("agent", "Agent", agentHelp, (p) => (
            <select {...p} value={draft.agent} onChange={(e) => set("agent")(e.target.value)}>
              {agents.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name === "exec" ? "exec (run a command)" : a.online > 0 ? a.name : `${a.name} (no node online)`}
                </option>
              ))}
            </select>
          ), "span-2")}
          {field("name", "Name", "Optional; shown instead of the id.", text("name", { autoComplete: "off", placeholder: "e.g. nightly build" }), "span-2")}
          {field(
            "prompt",
            "Prompt",
            isExec ? (
              <>
                The command to run. Spaces separate arguments; quote to keep spaces, e.g. <code>sh -c "echo hi; sleep 1"</code>.
                {argvPreview && argvPreview.length > 0 && (
                  <span className="argv-preview">
                    {" "}
                    Runs{" "}
                    <span className="chips inline-chips">
                      {argvPreview.slice(0, 12).map((a, i) => (
                        <span key={i} className="chip">
                          {a === "" ? "''" : a}
                        </span>
                      ))}
                      {argvPreview.length > 12 && <span className="muted">+{argvPreview.length - 12} more</span>}
                    </span>
                  </span>
                )}
              </>
            ) : (
              <>What {draft.agent} should do. Ctrl+Enter submits.</>
            ),
            (p) => (
              <textarea
                {...p}
                rows={isExec ? 2 : 5}
                spellCheck={!isExec}
                className={isExec ? "mono" : undefined}
                value={draft.prompt}
                placeholder={isExec ? "echo hello" : "Fix the failing test in packages/core and open a branch with the change"}
                onChange={(e) => set("prompt")(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    void submit();
                  }
                }}
              />
            ),
            "span-all",
          )}
          {field(
            "labels",
            "Labels",
            <>
              Node labels the task needs, e.g. <code>gpu=true, zone=eu</code>; <code>zone in (a,b)</code> and <code>!spot</code> work too.
            </>,
            text("labels", { autoComplete: "off", spellCheck: false, placeholder: "any node" }),
          )}
          {field("priority", "Priority", "Higher runs first; default 0.", text("priority", { inputMode: "numeric", autoComplete: "off", placeholder: "0" }))}
          {field("timeout", "Timeout", "Per attempt, e.g. 90s, 30m, 2h; default 1h.", text("timeout", { autoComplete: "off", spellCheck: false, placeholder: "1h" }))}
          {field("maxAttempts", "Max attempts", "Tries before it fails, 1–20; default 3.", text("maxAttempts", { inputMode: "numeric", autoComplete: "off", placeholder: "3" }))}
        </div>
        <details className="advanced" ref={advancedRef}>
          <summary>Repository, model and approvals</summary>
          <div className="form-grid submit-grid">
            {field("repo", "Repository", "A git URL or a path on the node; the task runs in a worktree of its own.", text("repo", { autoComplete: "off", spellCheck: false, placeholder: "https://github.com/org/repo.git" }))}
            {field("ref", "Ref", "Branch, tag or commit to start from; the default branch when empty.", text("ref", { autoComplete: "off", spellCheck: false, placeholder: "main" }))}
            {field("model", "Model", "Passed to the agent; its default when empty.", text("model", { autoComplete: "off", spellCheck: false }))}
            {field(
              "approveTools",
              "Approve tools",
              <>
                Claude only: ask a person before each call of these tools, e.g. <code>Bash, Write</code>, or <code>all</code>.
              </>,
              text("approveTools", { autoComplete: "off", spellCheck: false, placeholder: "no approvals" }),
            )}
          </div>
        </details>
        {formError && (
          <div className="error-box" role="alert">
            <span>{formError}</span>
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Close
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? "Submitting…" : "Submit task"}
          </button>
        </div>
      </form>
    </section>
  );
}
