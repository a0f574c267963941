// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function StatisticsPage(_: { params: Record<string, string> }) { return <PageTitle>StatisticsPage</PageTitle>; }
