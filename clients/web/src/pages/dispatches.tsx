// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function DispatchesPage(_: { params: Record<string, string> }) { return <PageTitle>DispatchesPage</PageTitle>; }
export function DispatchPage(_: { params: Record<string, string> }) { return <PageTitle>DispatchPage</PageTitle>; }
