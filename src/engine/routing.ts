/** Where a plan's router routes: the app, and the stable and the new revision's Services it splits between. */
import type { RouterContext } from '../kube/routers/trafficRouter';
import type { CompiledPlan } from '../plan/compile';
import type { BoundStrategy } from '../strategies/registry';

/** The router's context for `plan`: the stable Service, and the Service of the role the strategy routes the new revision by. */
export function routerContext(plan: CompiledPlan, strategy: BoundStrategy): RouterContext {
  const { names, port } = plan.service;
  return {
    namespace: plan.namespace,
    app: plan.app,
    services: { stable: names.stable, new: names[strategy.routedRole] },
    port,
  };
}
