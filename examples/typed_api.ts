import { fromEnv } from "@rapidata/fetch";
import { isApiProblem, typed } from "@rapidata/fetch/api";

// Paths, parameters, bodies and results typed from Rapidata's OpenAPI description.
const api = typed(fromEnv());
try {
  const orders = await api.get("/orders", {
    query: { page: 1, page_size: 5, sort: ["-order_date"], state: { eq: "Completed" } }, // sent as state[eq]=Completed
  });
  for (const { id } of orders.items) {
    const order = await api.get("/order/{orderId}", { path: { orderId: id } });
    console.log(JSON.stringify({ id, name: order.orderName, state: order.state }));
  }
} catch (error) {
  // details is ProblemDetails | ValidationProblemDetails, as the description declares for errors.
  if (isApiProblem(error)) console.error(error.status, error.details.title, error.details.detail);
  throw error;
}
