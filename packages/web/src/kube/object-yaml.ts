import type {KubeObject} from '@porthole/core/kube';

/**
 * An object as YAML for people, as `kubectl get -o yaml` shows it, less `managedFields`
 * (server-side apply's bookkeeping, long and of no use when reading). The YAML library
 * loads on first use, so pages that never show YAML never fetch it.
 *
 * @example
 *   pre.textContent = await objectYaml(pod);
 */
export async function objectYaml(object: KubeObject): Promise<string> {
  const {stringify} = await import('yaml');
  const metadata = object.metadata === undefined ? undefined : {...object.metadata};
  if (metadata !== undefined) delete metadata.managedFields;
  return stringify(metadata === undefined ? object : {...object, metadata}, {
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}
