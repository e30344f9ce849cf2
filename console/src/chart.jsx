// An Apache ECharts chart in a Preact component. Only the pieces used are imported (bar, line,
// grid, tooltip, legend, aria; canvas renderer) to keep the bundle small. The aria component
// writes a description of the data into the container's aria-label: screen readers read the
// numbers, and the browser tests check them there.
import { useEffect, useRef } from "preact/hooks";
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

export function Chart({ option, test, height = 320 }) {
  const element = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    chart.current = echarts.init(element.current);
    const resize = () => chart.current && chart.current.resize();
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      chart.current.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current.setOption({ animation: false, aria: { enabled: true }, ...option }, true);
  }, [option]);
  return <div class="chart" ref={element} style={{ height: `${height}px` }} data-test={test} />;
}
