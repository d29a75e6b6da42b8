"""Interactive LR charts for the HTML page: inline SVG drawn by a small inline script, no network.

Each chart is a ``<div class="chart">`` holding its data as JSON (``<script
type="application/json">``: the logged points, the fitted curve over the logged window, the
intended curve to its horizon, the finding steps and phase ends) and an empty ``<svg>`` that
:data:`SCRIPT` draws. Interactions: the mouse wheel zooms the step axis around the pointer,
dragging pans, a double click (or the "reset" button) shows everything again; hovering shows
the step, the logged LR and the fitted and intended LR there. The y axis follows the visible
logged and fitted values (logarithmic when they span more than
:data:`lraudit.report.plot.LOG_DECADES` decades, as in the PNG plots; zeros are marked at the
bottom of a log axis). The visible step range is kept in the chart's ``data-xmin`` /
``data-xmax`` attributes, and a page address ending in ``#zoom=I:X0:X1`` opens chart ``I``
zoomed to ``[X0, X1]`` (used by the headless-browser test and the screenshots; handy for
links too).

Without JavaScript the page still shows every table; the charts need a browser that runs
inline scripts (every current one).
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Any

import numpy as np

from lraudit.errors import LrauditError
from lraudit.types import RunAudit

#: At most this many logged points are drawn per chart (evenly thinned, ends kept).
MAX_POINTS = 2000
_GRID = 400


def _finite(v: float) -> float | None:
    return float(f"{v:.7g}") if math.isfinite(v) else None


def _pairs(x: np.ndarray, y: np.ndarray) -> list[list[float | None]]:
    return [[_finite(float(a)), _finite(float(b))] for a, b in zip(x, y, strict=True)]


def _curve(evaluate: Any, grid: np.ndarray) -> list[list[float | None]] | None:
    try:
        y = np.asarray(evaluate(grid), dtype=np.float64)
    except (LrauditError, ValueError, TypeError, KeyError):
        return None
    return _pairs(grid, y)


def chart_data(run: RunAudit) -> dict[str, Any]:
    """The plain data one chart draws (deterministic: values rounded to 7 digits)."""
    from lraudit.report.plot import _markers, schedule_end, use_log_scale

    s = run.series
    x = np.asarray(s.steps, dtype=np.float64) if s is not None else np.zeros(0)
    y = np.asarray(s.values, dtype=np.float64) if s is not None else np.zeros(0)
    if x.size > MAX_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, MAX_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    data: dict[str, Any] = {"tag": run.tag, "logged": _pairs(x, y), "fitted": None}
    data["intended"] = None
    curves = [y]
    if run.fit is not None and x.size:
        fit = run.fit
        grid = np.linspace(lo, hi, _GRID)
        data["fitted"] = _curve(fit.evaluate, grid)
        if data["fitted"] is not None:
            curves.append(np.array([p[1] if p[1] is not None else np.nan for p in data["fitted"]]))
    end = hi
    marks: list[float] = []
    it = run.intended
    if it is not None and it.unit == it.log_unit:
        end = max(hi, float(it.horizon or 0), schedule_end(it.schedule))
        data["intended"] = _curve(it.evaluate, np.linspace(0.0, end, _GRID))
        marks = _markers(it.schedule)
    data["findings"] = sorted({float(f.step) for f in run.findings if f.step is not None})
    data["marks"] = sorted({float(m) for m in marks})
    data["xrange"] = [min(lo, 0.0) if data["intended"] else lo, end if end > lo else lo + 1]
    data["log"] = use_log_scale(curves)
    return data


def chart_html(run: RunAudit, index: int) -> str:
    """The ``<div class="chart">`` of one run x tag (drawn by :data:`SCRIPT`)."""
    payload = json.dumps(chart_data(run), separators=(",", ":"), allow_nan=False)
    # "</" cannot end the script element early once escaped
    payload = payload.replace("</", "<\\/")
    label = escape(f"learning rate of {run.run} {run.tag}")
    return (
        f'<div class="chart" id="chart-{index}" data-index="{index}">'
        f'<div class="tools"><button type="button" class="reset">reset zoom</button> '
        "<span class=hint>wheel: zoom · drag: pan · double click: reset</span>"
        '<span class="tip" aria-live="polite"></span></div>'
        f'<svg role="img" aria-label="{label}" viewBox="0 0 860 300" '
        'preserveAspectRatio="xMidYMid meet"></svg>'
        f'<script type="application/json">{payload}</script></div>'
    )


CSS = """
.chart{border:1px solid #ddd;margin:.5rem 0;max-width:900px}
.chart svg{width:100%;height:auto;display:block;cursor:crosshair;user-select:none}
.chart .tools{font-size:.8rem;padding:.2rem .4rem;display:flex;gap:.8rem;align-items:center}
.chart .hint{color:#666} .chart .tip{font-family:monospace;margin-left:auto}
.chart text{font:11px system-ui,sans-serif;fill:#333}
""".strip()

SCRIPT = r"""
(function(){
"use strict";
var W=860,H=300,L=70,R=28,T=26,B=30,NS=null;
function el(n,a,p){NS=NS||document.querySelector("div.chart svg").namespaceURI;var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}
function ticks(a,b,n){var raw=(b-a)/n,p=Math.pow(10,Math.floor(Math.log10(raw))),m=raw/p,
 st=(m<1.5?1:m<3.5?2:m<7.5?5:10)*p,out=[];for(var v=Math.ceil(a/st)*st;v<=b+st*1e-9;v+=st)out.push(+v.toPrecision(12));return out;}
function fmt(v){if(v===null||v===undefined||!isFinite(v))return "-";var a=Math.abs(v);
 return (a!==0&&(a<1e-3||a>=1e5))?v.toExponential(3):String(+v.toPrecision(5));}
function interp(c,x){if(!c||!c.length)return null;var lo=0,hi=c.length-1;if(x<c[0][0]||x>c[hi][0])return null;
 while(hi-lo>1){var m=(lo+hi)>>1;if(c[m][0]<=x)lo=m;else hi=m;}var a=c[lo],b=c[hi];
 if(a[1]===null||b[1]===null)return null;return b[0]===a[0]?a[1]:a[1]+(b[1]-a[1])*(x-a[0])/(b[0]-a[0]);}
function Chart(div){
 this.div=div;this.svg=div.querySelector("svg");this.tip=div.querySelector(".tip");
 this.d=JSON.parse(div.querySelector("script[type='application/json']").textContent);
 this.full=this.d.xrange.slice();this.x0=this.full[0];this.x1=this.full[1];var self=this;
 this.svg.addEventListener("wheel",function(e){e.preventDefault();var x=self.xOf(e);
  var f=e.deltaY<0?0.8:1.25;self.zoomTo(x-(x-self.x0)*f,x+(self.x1-x)*f);},{passive:false});
 this.svg.addEventListener("mousedown",function(e){self.drag={px:self.px(e),x0:self.x0,x1:self.x1};});
 window.addEventListener("mouseup",function(){self.drag=null;});
 this.svg.addEventListener("mousemove",function(e){if(self.drag){var dx=(self.px(e)-self.drag.px)/(W-L-R)*(self.drag.x1-self.drag.x0);
  self.zoomTo(self.drag.x0-dx,self.drag.x1-dx);}else self.hover(e);});
 this.svg.addEventListener("dblclick",function(){self.zoomTo(self.full[0],self.full[1]);});
 div.querySelector(".reset").addEventListener("click",function(){self.zoomTo(self.full[0],self.full[1]);});
 this.render();}
Chart.prototype.px=function(e){var r=this.svg.getBoundingClientRect();return (e.clientX-r.left)*W/r.width;};
Chart.prototype.xOf=function(e){return this.x0+(this.px(e)-L)/(W-L-R)*(this.x1-this.x0);};
Chart.prototype.zoomTo=function(a,b){if(!(b>a))return;var span=this.full[1]-this.full[0];
 if(b-a<span*1e-4)return;this.x0=a;this.x1=b;this.render();};
Chart.prototype.yRange=function(){var lo=Infinity,hi=-Infinity,log=this.d.log,x0=this.x0,x1=this.x1;
 [this.d.logged,this.d.fitted].forEach(function(c){(c||[]).forEach(function(p){var y=p[1];
  if(p[0]<x0||p[0]>x1||y===null||(log&&y<=0))return;if(y<lo)lo=y;if(y>hi)hi=y;});});
 if(lo===Infinity){(this.d.intended||[]).forEach(function(p){var y=p[1];if(p[0]<x0||p[0]>x1||y===null||(log&&y<=0))return;
  if(y<lo)lo=y;if(y>hi)hi=y;});}
 if(lo===Infinity){lo=log?1e-6:0;hi=1;}
 if(log){return [Math.log10(lo)-0.2,Math.log10(hi)+0.2];}
 var pad=(hi-lo)*0.08||Math.abs(hi)*0.1||1;return [lo-pad,hi+pad];};
Chart.prototype.render=function(){
 var s=this.svg,d=this.d,self=this;while(s.firstChild)s.removeChild(s.firstChild);
 var yr=this.yRange(),log=d.log,x0=this.x0,x1=this.x1;
 var X=function(x){return L+(x-x0)/(x1-x0)*(W-L-R);};
 var Y=function(y){var v=log?Math.log10(y):y;return T+(1-(v-yr[0])/(yr[1]-yr[0]))*(H-T-B);};
 var cid="clip-"+this.div.dataset.index;var defs=el("defs",{},s);
 el("rect",{x:L,y:T,width:W-L-R,height:H-T-B},el("clipPath",{id:cid},defs));
 el("rect",{x:L,y:T,width:W-L-R,height:H-T-B,fill:"#fff",stroke:"#999"},s);
 ticks(x0,x1,6).forEach(function(xv){var xp=X(xv);
  el("line",{x1:xp,x2:xp,y1:T,y2:H-B,stroke:"#eee"},s);
  var t=el("text",{x:xp,y:H-B+14,"text-anchor":"middle"},s);t.textContent=fmt(xv);});
 var yt=log?ticks(Math.ceil(yr[0]),Math.floor(yr[1]),5).filter(function(v){return v===Math.round(v);}).map(function(v){return Math.pow(10,v);}):ticks(yr[0],yr[1],5);
 if(log&&yt.length<2)yt=[Math.pow(10,yr[0]+0.2),Math.pow(10,yr[1]-0.2)];
 yt.forEach(function(yv){var yp=Y(yv);
  el("line",{x1:L,x2:W-R,y1:yp,y2:yp,stroke:"#eee"},s);
  var u=el("text",{x:L-4,y:yp+4,"text-anchor":"end"},s);u.textContent=fmt(yv);});
 var g=el("g",{"clip-path":"url(#"+cid+")"},s);
 function vlines(xs,color,dash,cls){(xs||[]).forEach(function(x){if(x<x0||x>x1)return;
  el("line",{x1:X(x),x2:X(x),y1:T,y2:H-B,stroke:color,"stroke-dasharray":dash,"class":cls},g);});}
 vlines(d.marks,"#2ca02c","2,3","mark");vlines(d.findings,"#d62728","","finding");
 function path(c,color,dash,cls){if(!c)return;var p="",pen=false;c.forEach(function(q){
  var ok=q[1]!==null&&(!log||q[1]>0);if(!ok){pen=false;return;}p+=(pen?"L":"M")+X(q[0]).toFixed(1)+","+Y(q[1]).toFixed(1);pen=true;});
  el("path",{d:p,fill:"none",stroke:color,"stroke-width":1.6,"stroke-dasharray":dash,"class":cls},g);}
 path(d.intended,"#2ca02c","6,4","intended");path(d.fitted,"#ff7f0e","","fitted");
 var bottom=H-B;d.logged.forEach(function(q){if(q[0]<x0||q[0]>x1||q[1]===null)return;
  if(log&&q[1]<=0){el("path",{d:"M"+(X(q[0])-4)+","+(bottom-7)+"h8l-4,7z",fill:"#9467bd","class":"zero"},s);return;}
  el("circle",{cx:X(q[0]),cy:Y(q[1]),r:2.6,fill:"#1f77b4","class":"pt"},g);});
 this.hi=el("circle",{r:5,fill:"none",stroke:"#000",visibility:"hidden"},s);
 var k=0,legend=[["logged "+d.tag,"#1f77b4"],["fitted","#ff7f0e"],["intended","#2ca02c"],["finding","#d62728"]];
 legend.forEach(function(e){if((e[0]==="fitted"&&!d.fitted)||(e[0]==="intended"&&!d.intended)||(e[0]==="finding"&&!d.findings.length))return;
  var lx=L+k*150;el("rect",{x:lx,y:T-13,width:10,height:4,fill:e[1]},s);
  var lt=el("text",{x:lx+14,y:T-8},s);lt.textContent=e[0];k++;});
 this.X=X;this.Y=Y;this.div.dataset.xmin=String(Math.round(x0));this.div.dataset.xmax=String(Math.round(x1));};
Chart.prototype.hover=function(e){var x=this.xOf(e),pts=this.d.logged,best=null,bd=Infinity;
 for(var i=0;i<pts.length;i++){var dd=Math.abs(pts[i][0]-x);if(dd<bd&&pts[i][1]!==null){bd=dd;best=pts[i];}}
 if(!best||best[0]<this.x0||best[0]>this.x1){this.tip.textContent="";this.hi.setAttribute("visibility","hidden");return;}
 var f=interp(this.d.fitted,best[0]),it=interp(this.d.intended,best[0]);
 this.tip.textContent="step "+fmt(best[0])+": logged "+fmt(best[1])+(this.d.fitted?", fitted "+fmt(f):"")+(this.d.intended?", intended "+fmt(it):"");
 if(!this.d.log||best[1]>0){this.hi.setAttribute("cx",this.X(best[0]));this.hi.setAttribute("cy",this.Y(best[1]));this.hi.setAttribute("visibility","visible");}};
var charts=[];document.querySelectorAll("div.chart").forEach(function(d){charts.push(new Chart(d));});
var m=/#zoom=(\d+):(-?[\d.e+]+):(-?[\d.e+]+)/.exec(location.hash);
if(m&&charts[+m[1]])charts[+m[1]].zoomTo(+m[2],+m[3]);
window.lrauditCharts=charts;
})();
""".strip()


__all__ = ["CSS", "MAX_POINTS", "SCRIPT", "chart_data", "chart_html"]
