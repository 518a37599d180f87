/**
 * The console's one API client: openapi-fetch typed by the services' OpenAPI
 * documents (types generated from the snapshots in openapi/). Every call goes through the gateway (same origin), carries
 * the bearer token, refreshes it once on a 401 when a refresh token is held,
 * and otherwise signs the user out.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths as CorePaths, components as CoreComponents } from "./generated/core-api";
import type {
  paths as FeaturePaths,
  components as FeatureComponents,
} from "./generated/feature-api";
import type {
  paths as UsagePaths,
  components as UsageComponents,
} from "./generated/usage-ingestor";
import { session, type Tokens } from "./session";

// The gateway routes each path to the one service that serves it.
export type Paths = CorePaths & FeaturePaths & UsagePaths;

type Core = CoreComponents["schemas"];
type Feature = FeatureComponents["schemas"];
type Usage = UsageComponents["schemas"];
export type Workspace = Core["WorkspaceOut"];
export type Member = Core["MemberOut"];
export type Subscription = Core["SubscriptionOut"];
export type FlowDraft = Feature["FlowDraft"];
export type FlowDraftIn = Feature["FlowDraftIn"];
export type FlowTemplate = Feature["FlowTemplate"];
export type UiSettings = Feature["UiSettings"];
export type UiSettingsIn = Feature["UiSettingsIn"];
export type UsageSummary = Usage["UsageSummary"];
export type UsageNumbers = Usage["UsageNumbers"];
export type UsageCall = Usage["UsageCall"];
export type RepriceIn = Usage["RepriceIn"];
export type RepriceOut = Usage["RepriceOut"];
export type ModelPrice = Core["ModelPriceOut"];
export type ModelPriceIn = Core["ModelPriceIn"];

/** An RFC 9457 problem as the services send it (errors on 422). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string; type?: string }[] | null;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
  }
}

/** Turns whatever came back into a Problem (a proxy's HTML page included). */
export function asProblem(body: unknown, status: number): Problem {
  if (body && typeof body === "object" && "detail" in body) {
    const problem = body as Partial<Problem> & { detail: unknown };
    if (typeof problem.detail === "string") return { ...problem, status, detail: problem.detail };
    // FastAPI's own 422 shape: detail is a list of {loc, msg}.
    if (Array.isArray(problem.detail)) {
      const errors = (problem.detail as { loc?: unknown[]; msg?: string }[]).map((e) => ({
        field: (e.loc ?? []).filter((p) => p !== "body").join("."),
        message: e.msg ?? "invalid",
      }));
      return { status, detail: "the request is not valid", errors };
    }
  }
  return { status, detail: `the server answered ${status}` };
}

let refreshing: Promise<Tokens | null> | null = null;

/** One refresh at a time, however many requests hit the 401 together. */
export function refreshTokens(
  baseUrl = "",
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): Promise<Tokens | null> {
  const current = session.get();
  if (!current?.refresh_token) return Promise.resolve(null);
  refreshing ??= fetchImpl(`${baseUrl}/api/auth/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh_token }),
  })
    .then(async (response) => {
      if (!response.ok) return null;
      const tokens = session.fromResponse((await response.json()) as Tokens);
      session.set(tokens);
      return tokens;
    })
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function makeClient(baseUrl = "", fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  const client = createClient<Paths>({ baseUrl, fetch: fetchImpl });
  const auth: Middleware = {
    async onRequest({ request }) {
      let tokens = session.get();
      // About to expire: refresh first rather than spend a round trip on a 401.
      if (tokens?.refresh_token && tokens.expires_at && tokens.expires_at < Date.now() + 5000) {
        tokens = (await refreshTokens(baseUrl, fetchImpl)) ?? tokens;
      }
      if (tokens) request.headers.set("Authorization", `Bearer ${tokens.access_token}`);
      // Keep a copy for the one retry after a refresh (a body is read once).
      retries.set(request, request.clone());
      return request;
    },
    async onResponse({ request, response }) {
      if (response.status !== 401 || request.url.includes("/api/auth/")) return response;
      const copy = retries.get(request);
      const tokens = copy ? await refreshTokens(baseUrl, fetchImpl) : null;
      if (!tokens || !copy) {
        session.clear();
        return response;
      }
      copy.headers.set("Authorization", `Bearer ${tokens.access_token}`);
      return fetchImpl(copy);
    },
  };
  const retries = new WeakMap<Request, Request>();
  client.use(auth);
  return client;
}

export type Client = ReturnType<typeof makeClient>;

/** The data of an openapi-fetch answer, or an ApiError carrying the problem. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(asProblem(result.error, result.response.status));
  }
  return result.data as T;
}
