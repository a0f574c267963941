// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function PlanPage(_: { params: Record<string, string> }) { return <PageTitle>PlanPage</PageTitle>; }
