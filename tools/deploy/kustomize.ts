import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/**
 * The subset of kustomize that deploy/k8s uses, following kustomize's documented semantics, so the
 * manifests can be rendered and checked here without the kustomize binary:
 *  - `resources`: YAML files (several documents each) and directories holding a kustomization;
 *  - `patches`: a strategic-merge patch (an object, matched by kind and name, or every object the
 *    `target` selects) or a JSON 6902 patch (a list of operations; add, replace, remove) applied to
 *    every object its `target` selects (kind, name, group, version; names as anchored regexes);
 *  - `namespace`, `commonLabels` (also on the selectors kustomize puts them on), `images`.
 * Anything else in a kustomization.yaml is refused, so the manifests never use a feature this does
 * not render as kustomize would.
 */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: unknown };

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
}
interface Patch {
  path?: string;
  patch?: string;
  target?: Target;
}
interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  patches?: Patch[];
  namespace?: string;
  commonLabels?: Record<string, string>;
  images?: { name: string; newName?: string; newTag?: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'namespace', 'commonLabels', 'images']);

export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not in the subset tools/deploy/kustomize.ts renders`);
  let objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  for (const p of k.patches ?? []) objects = applyPatch(objects, p, dir);
  if (k.namespace) for (const o of objects) o.metadata.namespace = k.namespace;
  if (k.commonLabels) for (const o of objects) addCommonLabels(o, k.commonLabels);
  for (const image of k.images ?? []) for (const o of objects) setImage(o, image);
  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${path}: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const versionOf = (apiVersion: string) => apiVersion.split('/').pop()!;
const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`);

function selects(target: Target, o: K8sObject): boolean {
  return (
    (target.kind === undefined || anchored(target.kind).test(o.kind)) &&
    (target.name === undefined || anchored(target.name).test(o.metadata.name)) &&
    (target.group === undefined || target.group === groupOf(o.apiVersion)) &&
    (target.version === undefined || target.version === versionOf(o.apiVersion))
  );
}

function applyPatch(objects: K8sObject[], p: Patch, dir: string): K8sObject[] {
  const text = p.path ? readFileSync(resolve(dir, p.path), 'utf8') : p.patch;
  if (!text) throw new Error('a patch needs `path` or `patch`');
  const body = parse(text) as unknown;
  if (Array.isArray(body)) {
    if (!p.target) throw new Error('a JSON 6902 patch needs a target');
    const hit = objects.filter((o) => selects(p.target!, o));
    if (hit.length === 0) throw new Error(`no object matches the patch target ${JSON.stringify(p.target)}`);
    return objects.map((o) => (hit.includes(o) ? applyJson6902(o, body as Op[]) : o));
  }
  const patch = body as K8sObject;
  const target: Target = p.target ?? { kind: patch.kind, name: patch.metadata?.name };
  const hit = objects.filter((o) => selects(target, o) && (p.target ? true : o.apiVersion === patch.apiVersion));
  if (hit.length === 0) throw new Error(`no object matches the strategic merge patch of ${patch.kind}/${patch.metadata?.name}`);
  return objects.map((o) => {
    if (!hit.includes(o)) return o;
    // Kustomize keeps the patched object's identity: a patch never renames what it targets.
    const { metadata, ...rest } = patch;
    const merged = strategicMerge(o, rest) as K8sObject;
    if (metadata?.labels) merged.metadata = { ...merged.metadata, labels: { ...merged.metadata.labels, ...metadata.labels } };
    return merged;
  });
}

/** List fields whose items Kubernetes merges by a key (patchMergeKey) instead of replacing the list. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

function strategicMerge(base: unknown, patch: unknown, field = ''): unknown {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(base)) return structuredClone(patch);
    const out = (base as Record<string, unknown>[]).map((item) => structuredClone(item));
    for (const item of patch as Record<string, unknown>[]) {
      const at = out.findIndex((b) => b[key] === item[key]);
      if (at >= 0) out[at] = strategicMerge(out[at], item) as Record<string, unknown>;
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (typeof patch === 'object' && typeof base === 'object' && base !== null && !Array.isArray(base)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
      const merged = strategicMerge(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return structuredClone(patch);
}

type Op = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

function applyJson6902(o: K8sObject, ops: Op[]): K8sObject {
  const doc = structuredClone(o) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: unknown = doc;
    for (const part of parts) {
      parent = (parent as Record<string, unknown>)[part];
      if (parent === undefined) throw new Error(`JSON patch path ${op.path} does not exist in ${o.kind}/${o.metadata.name}`);
    }
    const container = parent as Record<string, unknown> & unknown[];
    if (op.op === 'remove' || op.op === 'replace') {
      if (!(last in container)) throw new Error(`JSON patch ${op.op} of ${op.path}: nothing there in ${o.kind}/${o.metadata.name}`);
    }
    if (op.op === 'remove') {
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else delete container[last];
    } else if (op.op === 'add' && Array.isArray(container)) {
      container.splice(last === '-' ? container.length : Number(last), 0, structuredClone(op.value));
    } else if (op.op === 'add' || op.op === 'replace') {
      container[last] = structuredClone(op.value);
    } else {
      throw new Error(`JSON patch op ${(op as { op: string }).op} is not in the subset`);
    }
  }
  return doc as K8sObject;
}

/** Kustomize's commonLabels field specs for the kinds deploy/k8s uses (create: the path is made when absent). */
const LABEL_PATHS: Record<string, { path: string[]; create: boolean }[]> = {
  Deployment: [
    { path: ['spec', 'selector', 'matchLabels'], create: true },
    { path: ['spec', 'template', 'metadata', 'labels'], create: true },
  ],
  Service: [{ path: ['spec', 'selector'], create: true }],
  Job: [
    { path: ['spec', 'selector', 'matchLabels'], create: false },
    { path: ['spec', 'template', 'metadata', 'labels'], create: true },
  ],
  PodDisruptionBudget: [{ path: ['spec', 'selector', 'matchLabels'], create: false }],
  NetworkPolicy: [
    { path: ['spec', 'podSelector', 'matchLabels'], create: false },
    { path: ['spec', 'ingress', 'from', 'podSelector', 'matchLabels'], create: false },
    { path: ['spec', 'egress', 'to', 'podSelector', 'matchLabels'], create: false },
  ],
};

function addAt(node: unknown, path: string[], labels: Record<string, string>, create: boolean): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) addAt(item, path, labels, create);
    return;
  }
  const record = node as Record<string, unknown>;
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (record[head] === undefined && !create) return;
    record[head] = { ...((record[head] as Record<string, string> | undefined) ?? {}), ...labels };
    return;
  }
  if (record[head] === undefined) {
    if (!create) return;
    record[head] = {};
  }
  addAt(record[head], rest, labels, create);
}

function addCommonLabels(o: K8sObject, labels: Record<string, string>): void {
  o.metadata.labels = { ...o.metadata.labels, ...labels };
  for (const { path, create } of LABEL_PATHS[o.kind] ?? []) addAt(o, path, labels, create);
}

function setImage(o: K8sObject, image: { name: string; newName?: string; newTag?: string }): void {
  const podSpec = (o.spec as { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } | undefined)?.template?.spec;
  for (const c of [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])]) {
    if (!c.image) continue;
    const [name, tag] = c.image.split(/:(?=[^/]*$)/);
    if (name !== image.name) continue;
    c.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
  }
}

export const deployRoot = resolve(dirname(__filename), '..', '..', 'deploy');
