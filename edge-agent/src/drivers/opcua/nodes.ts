import { BrowsePath, QualifiedName, RelativePath, RelativePathElement, resolveNodeId, StatusCodes, type ClientSession, type NodeId } from 'node-opcua';
import { DOOR_FIELDS, type DoorField, type OpcuaDoorConfig } from './config.js';

/** Where one door's variables and methods are in the PLC's address space. */
export interface DoorNodes {
  door: OpcuaDoorConfig;
  object: NodeId;
  /** The door's parent: its lockdown area. */
  area: NodeId;
  fields: Partial<Record<DoorField, NodeId>>;
  lock?: NodeId;
  unlock?: NodeId;
  areaLockdown?: NodeId;
  areaRelease?: NodeId;
}

export interface ResolvedNodes {
  root: NodeId;
  rootLockdown?: NodeId;
  rootRelease?: NodeId;
  doors: Map<string, DoorNodes>;
  /** Doors whose object was not found, and fields or methods that were missing, for the log and the driver state. */
  missing: string[];
}

const split = (p: string) => p.split('/').filter((s) => s.length > 0);

function browsePath(names: string[], ns: number): BrowsePath {
  return new BrowsePath({
    startingNode: resolveNodeId('ObjectsFolder'),
    relativePath: new RelativePath({
      elements: names.map(
        (name) =>
          new RelativePathElement({
            referenceTypeId: resolveNodeId('HierarchicalReferences'),
            isInverse: false,
            includeSubtypes: true,
            targetName: new QualifiedName({ namespaceIndex: ns, name }),
          }),
      ),
    }),
  });
}

/**
 * Find every configured door by its browse path (names in `namespaceUri`),
 * with its variables (`DOOR_FIELDS`), its Lock/Unlock methods and its area's
 * and the root's Lockdown/Release methods, in one TranslateBrowsePaths call.
 */
export async function resolveNodes(session: ClientSession, namespaceUri: string, root: string, doors: OpcuaDoorConfig[]): Promise<ResolvedNodes> {
  const nsArray = await session.readNamespaceArray();
  const ns = nsArray.indexOf(namespaceUri);
  if (ns < 0) throw new Error(`the server does not publish namespace ${namespaceUri} / 服务器没有命名空间 ${namespaceUri}`);
  const rootNames = split(root);
  const wanted: string[][] = [rootNames, [...rootNames, 'Lockdown'], [...rootNames, 'Release']];
  const fieldEntries = Object.entries(DOOR_FIELDS) as Array<[DoorField, string]>;
  for (const d of doors) {
    const doorNames = [...rootNames, ...split(d.path)];
    const areaNames = doorNames.slice(0, -1);
    wanted.push(doorNames, areaNames, [...doorNames, 'Lock'], [...doorNames, 'Unlock'], [...areaNames, 'Lockdown'], [...areaNames, 'Release']);
    for (const [, name] of fieldEntries) wanted.push([...doorNames, name]);
  }
  const results = await session.translateBrowsePath(wanted.map((w) => browsePath(w, ns)));
  let i = 0;
  const next = (): NodeId | undefined => {
    const r = results[i++];
    return r && r.statusCode.equals(StatusCodes.Good) && r.targets && r.targets[0] ? (r.targets[0].targetId as unknown as NodeId) : undefined;
  };
  const rootNode = next();
  if (!rootNode) throw new Error(`root ${root} not found in namespace ${namespaceUri} / 未找到根节点 ${root}`);
  const resolved: ResolvedNodes = { root: rootNode, rootLockdown: next(), rootRelease: next(), doors: new Map(), missing: [] };
  for (const d of doors) {
    const object = next();
    const area = next();
    const dn = { door: d, object, area, lock: next(), unlock: next(), areaLockdown: next(), areaRelease: next(), fields: {} as DoorNodes['fields'] };
    for (const [field, name] of fieldEntries) {
      const id = next();
      if (id) dn.fields[field] = id;
      else if (object) resolved.missing.push(`${d.id}/${name}`);
    }
    if (!object || !area) {
      resolved.missing.push(`${d.id} (${root}/${d.path})`);
      continue;
    }
    resolved.doors.set(d.id, { ...dn, object, area });
  }
  return resolved;
}
